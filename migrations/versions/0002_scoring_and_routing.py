"""State for intent scoring (score) and for the routing engine: caps, availability, fairness, SLA (route).

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

UPGRADE = """
CREATE TABLE score.leads (
    lead_id uuid PRIMARY KEY,
    correlation_id uuid NOT NULL,
    enriched jsonb,
    result jsonb,
    last_event jsonb,
    last_cause uuid,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE score.activities (
    event_id uuid PRIMARY KEY,
    lead_id uuid NOT NULL,
    kind text NOT NULL,
    occurred_at timestamptz NOT NULL,
    properties jsonb NOT NULL
);
CREATE INDEX activities_lead ON score.activities (lead_id, occurred_at);

ALTER TABLE route.assignments ALTER COLUMN rep_id DROP NOT NULL;
ALTER TABLE route.assignments ADD COLUMN outcome text NOT NULL DEFAULT 'assigned';
ALTER TABLE route.assignments ADD COLUMN status text NOT NULL DEFAULT 'pending';
ALTER TABLE route.assignments ADD COLUMN rule_id text;
ALTER TABLE route.assignments ADD COLUMN sla_due_at timestamptz;
ALTER TABLE route.assignments ADD COLUMN claimed_at timestamptz;
ALTER TABLE route.assignments ADD COLUMN claimed_by text;
CREATE INDEX assignments_sla_due ON route.assignments (sla_due_at) WHERE status = 'pending' AND sla_due_at IS NOT NULL;
CREATE INDEX assignments_rep_created ON route.assignments (rep_id, created_at);

ALTER TABLE route.pool_members ADD COLUMN credit bigint NOT NULL DEFAULT 0;
ALTER TABLE route.pool_members ADD COLUMN weight int NOT NULL DEFAULT 1;

CREATE TABLE route.rep_status (
    rep_id text PRIMARY KEY REFERENCES route.reps (id),
    paused boolean NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE route.account_owners (
    domain text PRIMARY KEY,
    rep_id text NOT NULL REFERENCES route.reps (id),
    since timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE route.routing_inputs (
    lead_id uuid PRIMARY KEY,
    event jsonb NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX routing_inputs_received ON route.routing_inputs (received_at);
CREATE TABLE route.nurtured (
    lead_id uuid PRIMARY KEY,
    reason text NOT NULL,
    stage text,
    score int NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
)
"""

DOWNGRADE = """
DROP TABLE route.nurtured;
DROP TABLE route.routing_inputs;
DROP TABLE route.account_owners;
DROP TABLE route.rep_status;
ALTER TABLE route.pool_members DROP COLUMN weight;
ALTER TABLE route.pool_members DROP COLUMN credit;
DROP INDEX route.assignments_rep_created;
DROP INDEX route.assignments_sla_due;
ALTER TABLE route.assignments DROP COLUMN claimed_by;
ALTER TABLE route.assignments DROP COLUMN claimed_at;
ALTER TABLE route.assignments DROP COLUMN sla_due_at;
ALTER TABLE route.assignments DROP COLUMN rule_id;
ALTER TABLE route.assignments DROP COLUMN status;
ALTER TABLE route.assignments DROP COLUMN outcome;
DROP TABLE score.activities;
DROP TABLE score.leads
"""


def upgrade() -> None:
    for statement in UPGRADE.split(";"):
        if statement.strip():
            op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE.split(";"):
        if statement.strip():
            op.execute(statement)
