"""The outbox announces new rows: a statement-level trigger sends NOTIFY capture_outbox, delivered
when the inserting transaction commits, so every capture replica's relay wakes at once instead of
polling.

Revision ID: 0009
Revises: 0008
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "CREATE FUNCTION capture.outbox_notify() RETURNS trigger LANGUAGE plpgsql AS"
        " $$ BEGIN PERFORM pg_notify('capture_outbox', ''); RETURN NULL; END $$"
    )
    op.execute(
        "CREATE TRIGGER outbox_notify AFTER INSERT ON capture.outbox"
        " FOR EACH STATEMENT EXECUTE FUNCTION capture.outbox_notify()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER outbox_notify ON capture.outbox")
    op.execute("DROP FUNCTION capture.outbox_notify()")
