"""Provider status callbacks kept on their own: Twilio may report a message before notify has stored
its SID, so a callback is never lost for arriving early.

Revision ID: 0007
Revises: 0006
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "CREATE TABLE notify.provider_statuses (channel text NOT NULL, external_id text NOT NULL,"
        " status text NOT NULL, rank int NOT NULL, received_at timestamptz NOT NULL DEFAULT now(),"
        " PRIMARY KEY (channel, external_id, status))"
    )


def downgrade() -> None:
    op.execute("DROP TABLE notify.provider_statuses")
