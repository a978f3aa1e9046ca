"""Recycling and predictive scoring: route's record of leads sent back to nurture (and the score
they must beat to be routed again), and score's trained models (plain weights, one active).

Revision ID: 0016
Revises: 0015
"""

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE route.recycles (
            lead_id uuid NOT NULL,
            attempt integer NOT NULL,
            reason text NOT NULL,
            kind text NOT NULL,
            score integer NOT NULL,
            recycled_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (lead_id, attempt)
        )
        """
    )
    op.execute(
        """
        CREATE TABLE score.models (
            version text PRIMARY KEY,
            created_at timestamptz NOT NULL DEFAULT now(),
            trained_on integer NOT NULL,
            tested_on integer NOT NULL,
            auc_model double precision NOT NULL,
            auc_rules double precision NOT NULL,
            ece double precision NOT NULL,
            weights jsonb NOT NULL,
            active boolean NOT NULL DEFAULT false
        )
        """
    )
    op.execute("CREATE UNIQUE INDEX models_one_active ON score.models (active) WHERE active")


def downgrade() -> None:
    op.execute("DROP TABLE score.models")
    op.execute("DROP TABLE route.recycles")
