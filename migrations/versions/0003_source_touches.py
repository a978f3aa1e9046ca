"""Every source touch of a lead (progressive profiling keeps one lead per email).

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "CREATE TABLE capture.touches (id bigserial PRIMARY KEY, lead_id uuid NOT NULL, source text NOT NULL,"
        " received_at timestamptz NOT NULL DEFAULT now())"
    )
    op.execute("CREATE INDEX touches_lead ON capture.touches (lead_id, received_at)")


def downgrade() -> None:
    op.execute("DROP TABLE capture.touches")
