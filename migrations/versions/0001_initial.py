"""One schema per service, and the tables of the walking skeleton.

Revision ID: 0001
Revises:
"""

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

SCHEMAS = ("capture", "enrich", "score", "route", "notify")


def upgrade() -> None:
    for schema in SCHEMAS:
        op.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    statements = """
        CREATE TABLE capture.receipts (
            id uuid PRIMARY KEY,
            source text NOT NULL,
            idempotency_key text,
            body_hash text NOT NULL,
            received_at timestamptz NOT NULL DEFAULT now(),
            lead_id uuid NOT NULL,
            response jsonb NOT NULL
        );
        CREATE UNIQUE INDEX receipts_idempotency_key ON capture.receipts (source, idempotency_key)
            WHERE idempotency_key IS NOT NULL;
        CREATE INDEX receipts_body_hash ON capture.receipts (source, body_hash, received_at);

        CREATE TABLE capture.leads (
            id uuid PRIMARY KEY,
            email text,
            phone text,
            source text NOT NULL,
            fields jsonb NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX leads_email ON capture.leads (lower(email));

        CREATE TABLE capture.outbox (
            id bigserial PRIMARY KEY,
            topic text NOT NULL,
            key text NOT NULL,
            payload bytea NOT NULL,
            headers jsonb NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            published_at timestamptz
        );
        CREATE INDEX outbox_unpublished ON capture.outbox (id) WHERE published_at IS NULL;

        CREATE TABLE route.reps (
            id text PRIMARY KEY,
            name text NOT NULL,
            slack text,
            email text,
            phone text,
            timezone text NOT NULL,
            active boolean NOT NULL
        );
        CREATE TABLE route.pools (
            id text PRIMARY KEY,
            strategy text NOT NULL,
            cursor bigint NOT NULL DEFAULT 0
        );
        CREATE TABLE route.pool_members (
            pool_id text NOT NULL REFERENCES route.pools (id),
            rep_id text NOT NULL REFERENCES route.reps (id),
            position int NOT NULL,
            PRIMARY KEY (pool_id, rep_id)
        );
        CREATE TABLE route.assignments (
            id uuid PRIMARY KEY,
            lead_id uuid NOT NULL,
            attempt int NOT NULL,
            pool_id text NOT NULL,
            rep_id text NOT NULL REFERENCES route.reps (id),
            reason text NOT NULL,
            trace jsonb NOT NULL,
            event jsonb NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            UNIQUE (lead_id, attempt)
        );

        CREATE TABLE notify.deliveries (
            id bigserial PRIMARY KEY,
            assignment_id uuid NOT NULL,
            channel text NOT NULL,
            target text NOT NULL,
            status text NOT NULL,
            attempts int NOT NULL DEFAULT 0,
            external_id text,
            last_error text,
            created_at timestamptz NOT NULL DEFAULT now(),
            sent_at timestamptz,
            UNIQUE (assignment_id, channel)
        );
    """
    for statement in statements.split(";"):
        if statement.strip():
            op.execute(statement)


def downgrade() -> None:
    for schema in reversed(SCHEMAS):
        op.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
