"""notify publishes each delivery's outcome (lead.notified): a delivery row knows its lead and when
its outcome came, and is marked once its outcome event is acknowledged by the broker. The `insights`
schema holds insights' read model, a projection of the topics that can be rebuilt from offset 0.

Revision ID: 0012
Revises: 0011
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

UPGRADE = """
ALTER TABLE notify.deliveries ADD COLUMN lead_id uuid;
ALTER TABLE notify.deliveries ADD COLUMN correlation_id uuid;
ALTER TABLE notify.deliveries ADD COLUMN outcome_at timestamptz;
ALTER TABLE notify.deliveries ADD COLUMN outcome_published_at timestamptz;
CREATE INDEX deliveries_outcome_unpublished ON notify.deliveries (id)
    WHERE outcome_published_at IS NULL AND status IN ('sent', 'failed') AND lead_id IS NOT NULL;
CREATE SCHEMA IF NOT EXISTS insights;
CREATE TABLE insights.leads (
    lead_id uuid PRIMARY KEY,
    correlation_id uuid NOT NULL,
    source text,
    campaign text,
    captured_at timestamptz,
    name text,
    email text,
    company text,
    title text,
    enriched jsonb,
    enriched_at timestamptz,
    score int,
    grade text,
    stage text,
    reasons jsonb,
    scored_at timestamptz,
    mql_at timestamptz,
    sql_at timestamptz,
    nurtured_at timestamptz,
    nurture_reason text
);
CREATE INDEX leads_captured ON insights.leads (captured_at);
CREATE TABLE insights.assignments (
    assignment_id uuid PRIMARY KEY,
    lead_id uuid NOT NULL,
    attempt int,
    outcome text,
    pool_id text,
    rep_id text,
    rule_id text,
    reason text,
    trace jsonb,
    assigned_at timestamptz,
    lead_arrived_at timestamptz,
    sla_due_at timestamptz,
    first_alert_at timestamptz,
    claimed_at timestamptz,
    claimed_by text,
    claimed_via text
);
CREATE INDEX assignments_lead ON insights.assignments (lead_id, attempt);
CREATE INDEX assignments_assigned ON insights.assignments (assigned_at);
CREATE TABLE insights.alerts (
    assignment_id uuid NOT NULL,
    channel text NOT NULL,
    lead_id uuid NOT NULL,
    status text NOT NULL,
    provider_status text,
    at timestamptz NOT NULL,
    tries int NOT NULL,
    external_id text,
    error text,
    PRIMARY KEY (assignment_id, channel)
);
CREATE TABLE insights.timeline (
    event_id uuid PRIMARY KEY,
    lead_id uuid NOT NULL,
    at timestamptz NOT NULL,
    kind text NOT NULL,
    summary text NOT NULL,
    detail jsonb NOT NULL
);
CREATE INDEX timeline_lead ON insights.timeline (lead_id, at);
CREATE INDEX timeline_at ON insights.timeline (at DESC)
"""

DOWNGRADE = """
DROP SCHEMA insights CASCADE;
DROP INDEX notify.deliveries_outcome_unpublished;
ALTER TABLE notify.deliveries DROP COLUMN outcome_published_at;
ALTER TABLE notify.deliveries DROP COLUMN outcome_at;
ALTER TABLE notify.deliveries DROP COLUMN correlation_id;
ALTER TABLE notify.deliveries DROP COLUMN lead_id
"""


def upgrade() -> None:
    for statement in UPGRADE.split(";"):
        if statement.strip():
            op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE.split(";"):
        if statement.strip():
            op.execute(statement)
