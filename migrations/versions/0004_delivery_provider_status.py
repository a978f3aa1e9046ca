"""The provider's own delivery status (Twilio status callbacks) beside ours.

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE notify.deliveries ADD COLUMN provider_status text")
    op.execute("ALTER TABLE notify.deliveries ADD COLUMN provider_updated_at timestamptz")
    op.execute("CREATE INDEX deliveries_external ON notify.deliveries (channel, external_id)")


def downgrade() -> None:
    op.execute("DROP INDEX notify.deliveries_external")
    op.execute("ALTER TABLE notify.deliveries DROP COLUMN provider_updated_at")
    op.execute("ALTER TABLE notify.deliveries DROP COLUMN provider_status")
