"""route remembers which input put a lead into nurture, so a redelivery of that input re-emits the
same lead.nurture event (a crash between commit and publish lost it before).

Revision ID: 0011
Revises: 0010
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE route.nurtured ADD COLUMN cause uuid")


def downgrade() -> None:
    op.execute("ALTER TABLE route.nurtured DROP COLUMN cause")
