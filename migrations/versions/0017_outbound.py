"""Outbound: subscriptions (a team's webhook endpoints, and built-in hand-offs such as a HubSpot
nurture list) and one delivery row per (subscription, event), the log that retries and replays
work from.

Revision ID: 0017
Revises: 0016
"""

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE SCHEMA IF NOT EXISTS outbound")
    op.execute(
        """
        CREATE TABLE outbound.subscriptions (
            id uuid PRIMARY KEY,
            kind text NOT NULL DEFAULT 'webhook',
            url text NOT NULL,
            events text[] NOT NULL,
            secret text NOT NULL,
            description text NOT NULL DEFAULT '',
            enabled boolean NOT NULL DEFAULT true,
            disabled_reason text,
            consecutive_failures integer NOT NULL DEFAULT 0,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    op.execute(
        """
        CREATE TABLE outbound.deliveries (
            id bigserial PRIMARY KEY,
            subscription_id uuid NOT NULL REFERENCES outbound.subscriptions (id) ON DELETE CASCADE,
            event_id uuid NOT NULL,
            event_type text NOT NULL,
            lead_id uuid NOT NULL,
            payload jsonb NOT NULL,
            status text NOT NULL DEFAULT 'queued',
            attempts integer NOT NULL DEFAULT 0,
            next_at timestamptz NOT NULL DEFAULT now(),
            sending_at timestamptz,
            last_status integer,
            last_error text,
            sent_at timestamptz,
            created_at timestamptz NOT NULL DEFAULT now(),
            UNIQUE (subscription_id, event_id)
        )
        """
    )
    op.execute("CREATE INDEX outbound_due ON outbound.deliveries (next_at) WHERE status IN ('queued', 'sending')")
    op.execute("CREATE INDEX outbound_log ON outbound.deliveries (subscription_id, created_at DESC)")


def downgrade() -> None:
    op.execute("DROP SCHEMA outbound CASCADE")
