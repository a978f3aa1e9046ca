"""When a send began, so a restarted notify can ask the provider whether it went through.

Revision ID: 0005
Revises: 0004
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE notify.deliveries ADD COLUMN sending_at timestamptz")


def downgrade() -> None:
    op.execute("ALTER TABLE notify.deliveries DROP COLUMN sending_at")
