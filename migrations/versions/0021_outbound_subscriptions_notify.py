"""Subscription changes are announced: a statement-level trigger sends NOTIFY outbound_subscriptions,
delivered at commit, so every outbound replica drops its cache of the event types anyone wants.

Revision ID: 0021
Revises: 0020
"""

from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "CREATE FUNCTION outbound.subscriptions_notify() RETURNS trigger LANGUAGE plpgsql AS"
        " $$ BEGIN PERFORM pg_notify('outbound_subscriptions', ''); RETURN NULL; END $$"
    )
    op.execute(
        "CREATE TRIGGER subscriptions_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE"
        " ON outbound.subscriptions FOR EACH STATEMENT EXECUTE FUNCTION outbound.subscriptions_notify()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER subscriptions_notify ON outbound.subscriptions")
    op.execute("DROP FUNCTION outbound.subscriptions_notify()")
