"""Open assignments per rep (least-loaded routing) without scanning a rep's whole history.

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "CREATE INDEX assignments_open_by_rep ON route.assignments (rep_id) WHERE status IN ('pending', 'claimed')"
    )


def downgrade() -> None:
    op.execute("DROP INDEX route.assignments_open_by_rep")
