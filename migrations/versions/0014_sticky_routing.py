"""Sticky routing: find an open lead with the same normalised email or phone as a new one, by
expression indexes on the routing inputs route already keeps.

Revision ID: 0014
Revises: 0013
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE INDEX routing_inputs_email ON route.routing_inputs ((event->'data'->'lead'->>'email'))")
    op.execute("CREATE INDEX routing_inputs_phone ON route.routing_inputs ((event->'data'->'lead'->>'phone_e164'))")


def downgrade() -> None:
    op.execute("DROP INDEX route.routing_inputs_phone")
    op.execute("DROP INDEX route.routing_inputs_email")
