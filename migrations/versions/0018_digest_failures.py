"""Escalation digests count their failed sends in a row, so one that cannot be sent (a Slack message
deleted, a channel gone) stops being retried.

Revision ID: 0018
Revises: 0017
"""

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE notify.digests ADD COLUMN failures integer NOT NULL DEFAULT 0")


def downgrade() -> None:
    op.execute("ALTER TABLE notify.digests DROP COLUMN failures")
