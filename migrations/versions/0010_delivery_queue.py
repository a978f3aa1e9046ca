"""notify's deliveries become a durable queue: each row carries the alert it sends, when it may go
(`not_before`, a pacing slot or a retry backoff), and which notify process is sending it. A process
proves it is alive in `notify.senders`; a `sending` row whose sender stopped proving it is in doubt
and is reconciled with the provider before anything is sent again. `traceparent` keeps the send
in the lead's trace.

Revision ID: 0010
Revises: 0009
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE notify.deliveries ADD COLUMN assignment jsonb")
    op.execute("ALTER TABLE notify.deliveries ADD COLUMN not_before timestamptz")
    op.execute("ALTER TABLE notify.deliveries ADD COLUMN slotted boolean NOT NULL DEFAULT false")
    op.execute("ALTER TABLE notify.deliveries ADD COLUMN sending_by uuid")
    op.execute("ALTER TABLE notify.deliveries ADD COLUMN traceparent text")
    op.execute("CREATE INDEX deliveries_open ON notify.deliveries (not_before) WHERE status IN ('queued', 'sending')")
    op.execute("CREATE TABLE notify.senders (id uuid PRIMARY KEY, seen_at timestamptz NOT NULL)")


def downgrade() -> None:
    op.execute("DROP TABLE notify.senders")
    op.execute("DROP INDEX notify.deliveries_open")
    for column in ("traceparent", "sending_by", "slotted", "not_before", "assignment"):
        op.execute(f"ALTER TABLE notify.deliveries DROP COLUMN {column}")
