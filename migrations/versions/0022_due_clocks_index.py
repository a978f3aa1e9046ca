"""The SLA clock's query asks for pending *and* held assignments that are due; the partial index of
0002 covers pending only, so every tick scanned the whole table (11 ms a tick at the end of the
22:04 bench, profiles/statements-leadrelay.txt). This index covers what the query asks.

Revision ID: 0022
Revises: 0021
"""

from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "CREATE INDEX assignments_due ON route.assignments (sla_due_at)"
        " WHERE status IN ('pending', 'held') AND sla_due_at IS NOT NULL"
    )
    op.execute("DROP INDEX route.assignments_sla_due")


def downgrade() -> None:
    op.execute(
        "CREATE INDEX assignments_sla_due ON route.assignments (sla_due_at)"
        " WHERE status = 'pending' AND sla_due_at IS NOT NULL"
    )
    op.execute("DROP INDEX route.assignments_due")
