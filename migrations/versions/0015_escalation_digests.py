"""Escalation digests: one row per (channel, recipient, window) holding the message sent for it,
and one row per escalation counted in that window (sent on its own, or shown in the digest).

Revision ID: 0015
Revises: 0014
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE notify.digests (
            id bigserial PRIMARY KEY,
            rep_id text NOT NULL,
            channel text NOT NULL,
            target text NOT NULL,
            window_start timestamptz NOT NULL,
            window_end timestamptz NOT NULL,
            dirty boolean NOT NULL DEFAULT false,
            due_at timestamptz,
            message_channel text,
            message_id text,
            sending_at timestamptz,
            sent_at timestamptz,
            sends integer NOT NULL DEFAULT 0,
            last_error text,
            UNIQUE (channel, target, window_start)
        )
        """
    )
    op.execute("CREATE INDEX digests_due ON notify.digests (due_at) WHERE dirty")
    op.execute(
        """
        CREATE TABLE notify.digest_items (
            assignment_id uuid NOT NULL,
            channel text NOT NULL,
            digest_id bigint NOT NULL REFERENCES notify.digests (id),
            individual boolean NOT NULL,
            score integer NOT NULL,
            escalated_at timestamptz NOT NULL DEFAULT now(),
            assignment jsonb NOT NULL,
            claimed_by text,
            claimed_at timestamptz,
            PRIMARY KEY (assignment_id, channel)
        )
        """
    )
    op.execute("CREATE INDEX digest_items_digest ON notify.digest_items (digest_id)")


def downgrade() -> None:
    op.execute("DROP TABLE notify.digest_items")
    op.execute("DROP TABLE notify.digests")
