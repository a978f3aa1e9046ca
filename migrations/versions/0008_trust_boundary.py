"""Trust boundary: which kind of source set a lead's fields (a trusted source overrides a public form),
what each touch submitted, outbox rows that can never be published (failed, with a dead-letter record,
so the rows behind them keep flowing), and claim links already used.

Revision ID: 0008
Revises: 0007
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE capture.leads ADD COLUMN trust text NOT NULL DEFAULT 'trusted'")
    op.execute("ALTER TABLE capture.touches ADD COLUMN trust text NOT NULL DEFAULT 'trusted'")
    op.execute("ALTER TABLE capture.touches ADD COLUMN fields jsonb")
    op.execute("ALTER TABLE capture.outbox ADD COLUMN failed_at timestamptz")
    op.execute("DROP INDEX capture.outbox_unpublished")
    op.execute(
        "CREATE INDEX outbox_unpublished ON capture.outbox (id) WHERE published_at IS NULL AND failed_at IS NULL"
    )
    op.execute(
        "CREATE TABLE capture.outbox_dead_letters (outbox_id bigint PRIMARY KEY REFERENCES capture.outbox (id),"
        " error text NOT NULL, failed_at timestamptz NOT NULL DEFAULT now())"
    )
    op.execute(
        "CREATE TABLE route.used_claim_links (token_sha256 text PRIMARY KEY, assignment_id uuid NOT NULL,"
        " used_at timestamptz NOT NULL DEFAULT now())"
    )


def downgrade() -> None:
    op.execute("DROP TABLE route.used_claim_links")
    op.execute("DROP TABLE capture.outbox_dead_letters")
    op.execute("DROP INDEX capture.outbox_unpublished")
    op.execute("CREATE INDEX outbox_unpublished ON capture.outbox (id) WHERE published_at IS NULL")
    op.execute("ALTER TABLE capture.outbox DROP COLUMN failed_at")
    op.execute("ALTER TABLE capture.touches DROP COLUMN fields")
    op.execute("ALTER TABLE capture.touches DROP COLUMN trust")
    op.execute("ALTER TABLE capture.leads DROP COLUMN trust")
