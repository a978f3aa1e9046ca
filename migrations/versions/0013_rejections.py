"""Reject with a reason: an assignment remembers the credit its rep paid for the pick (to give the
turn back on "not mine" or "wrong territory") and why and when it was rejected.

Revision ID: 0013
Revises: 0012
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE route.assignments ADD COLUMN debit int NOT NULL DEFAULT 0")
    op.execute("ALTER TABLE route.assignments ADD COLUMN rejected_reason text")
    op.execute("ALTER TABLE route.assignments ADD COLUMN rejected_at timestamptz")


def downgrade() -> None:
    op.execute("ALTER TABLE route.assignments DROP COLUMN rejected_at")
    op.execute("ALTER TABLE route.assignments DROP COLUMN rejected_reason")
    op.execute("ALTER TABLE route.assignments DROP COLUMN debit")
