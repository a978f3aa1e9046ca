"""Pause a whole pool, and route's audit log (issue 20).

A paused pool takes no leads: they overflow as the pool's policy says, or are held until it is
resumed (its manager is not escalated to). route.audit records what operators and reps did to
routing state: pauses and resumes of reps and pools, and manual reassignments, with who and when;
the console's audit page lists it with the published versions.

Revision ID: 0025
Revises: 0024
"""

from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "ALTER TABLE route.pools ADD COLUMN paused boolean NOT NULL DEFAULT false, ADD COLUMN paused_by text,"
        " ADD COLUMN paused_at timestamptz"
    )
    op.execute(
        """
        CREATE TABLE route.audit (
            id bigserial PRIMARY KEY,
            at timestamptz NOT NULL DEFAULT now(),
            actor text NOT NULL,
            action text NOT NULL,
            subject text NOT NULL,
            detail jsonb NOT NULL DEFAULT '{}'
        )
        """
    )
    op.execute("CREATE INDEX audit_at ON route.audit (at DESC)")


def downgrade() -> None:
    op.execute("DROP TABLE route.audit")
    op.execute("ALTER TABLE route.pools DROP COLUMN paused, DROP COLUMN paused_by, DROP COLUMN paused_at")
