"""Values a visitor typed for a person leadrelay already knows wait for ops in `capture.field_reviews`
instead of changing the lead: one row per (lead, field, proposed value) while it is pending, then
accepted or rejected by a named operator.

Revision ID: 0020
Revises: 0019
"""

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "CREATE TABLE capture.field_reviews (id bigserial PRIMARY KEY, lead_id uuid NOT NULL, field text NOT NULL,"
        " current_value text, proposed_value text NOT NULL, source text NOT NULL,"
        " status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'rejected')),"
        " proposed_at timestamptz NOT NULL DEFAULT now(), decided_by text, decided_at timestamptz)"
    )
    op.execute(
        "CREATE UNIQUE INDEX field_reviews_pending ON capture.field_reviews (lead_id, field, proposed_value)"
        " WHERE status = 'pending'"
    )
    op.execute("CREATE INDEX field_reviews_lead ON capture.field_reviews (lead_id, proposed_at)")


def downgrade() -> None:
    op.execute("DROP TABLE capture.field_reviews")
