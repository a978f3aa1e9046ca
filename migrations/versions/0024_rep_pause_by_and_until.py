"""Who paused a rep and until when (issue 20): a rep takes themself off the queue from Slack
(`/leadrelay away [until]`), which the routing trace shows as "paused by self until ...", and a
pause with an end lapses by itself.

Revision ID: 0024
Revises: 0023
"""

from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "ALTER TABLE route.rep_status ADD COLUMN paused_by text, ADD COLUMN paused_until timestamptz,"
        " ADD COLUMN paused_at timestamptz"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE route.rep_status DROP COLUMN paused_by, DROP COLUMN paused_until, DROP COLUMN paused_at")
