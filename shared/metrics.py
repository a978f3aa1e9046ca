"""Prometheus metrics shared by every stage; each process exposes them at GET /metrics. Consumer lag is
not here: one exporter reads it from the broker (`leadrelay lag --serve`), so it never goes stale."""

from prometheus_client import Counter, Gauge, Histogram

MESSAGES = Counter(
    "leadrelay_messages_total", "Input messages by stage, topic and outcome", ["stage", "topic", "outcome"]
)
HANDLE_SECONDS = Histogram(
    "leadrelay_handle_seconds",
    "Time to handle one message, retries included",
    ["stage"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
RETRIES = Counter("leadrelay_handler_retries_total", "Handler retries by kind", ["stage", "kind"])
DEAD_LETTERS = Counter("leadrelay_dead_letters_total", "Messages sent to a .dlq topic", ["stage", "topic"])
OUTBOX_PENDING = Gauge(
    "leadrelay_outbox_pending", "capture outbox rows not yet published (counted every few seconds, all replicas)"
)
OUTBOX_PUBLISHED = Counter("leadrelay_outbox_published_total", "capture outbox rows published to Kafka")
OUTBOX_FAILED = Counter(
    "leadrelay_outbox_failed_total", "capture outbox rows set aside: the broker can never take them"
)
INTAKE = Counter("leadrelay_intake_total", "Intake requests by source and result", ["source", "result"])
NOTIFICATIONS = Counter(
    "leadrelay_notifications_total", "Notification attempts by channel and result", ["channel", "result"]
)
SPEED_TO_LEAD = Histogram(
    "leadrelay_speed_to_lead_seconds",
    "From the input that made a lead sales-ready (webhook, behaviour event) to its first alert, by source and channel",
    ["source", "channel"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600),
)
HTTP_REQUESTS = Counter(
    "leadrelay_http_requests_total", "HTTP requests by method, route template and status", ["method", "route", "status"]
)
HTTP_SECONDS = Histogram(
    "leadrelay_http_request_seconds",
    "HTTP request duration by method and route template",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
BACKOFF_RETRIES = Counter(
    "leadrelay_retries_total", "Retries of a wait on something outside (broker, database, vendor API)", ["what"]
)
SLA_BREACHES = Counter(
    "leadrelay_sla_breaches_total", "Assignments whose rep did not claim in time (reassigned or escalated)", ["pool"]
)
READY = Gauge("leadrelay_ready", "1 when the service's last readiness check passed, else 0")
SLA_COMPLIANCE = Gauge(
    "leadrelay_sla_compliance_ratio",
    "insights: of the last day's assignments with a known outcome, the share claimed within their SLA, by pool",
    ["pool"],
)
CLAIMED_WITHIN_5_MINUTES = Gauge(
    "leadrelay_claimed_within_5_minutes_ratio",
    "insights: of the leads routed in the last day, the share claimed within 5 minutes of arriving",
)
REJECTIONS = Counter(
    "leadrelay_rejections_total",
    "Assignments a rep turned down, by reason, routing rule and source",
    ["reason", "rule", "source"],
)
ESCALATIONS_DIGESTED = Counter(
    "leadrelay_escalations_digested_total",
    "notify: escalations shown in a digest instead of a message of their own",
)
RECYCLED = Counter(
    "leadrelay_recycled_total",
    "route: leads sent back to nurture, by why (not_a_fit, stalled)",
    ["kind"],
)
OUTBOUND = Counter(
    "leadrelay_outbound_deliveries_total",
    "outbound: delivery attempts by destination kind and result",
    ["kind", "result"],
)
OUTBOUND_DISABLED = Counter(
    "leadrelay_outbound_disabled_total", "outbound: subscriptions disabled after failing too many times in a row"
)
EVENT_GROUP_SIZE = Histogram(
    "leadrelay_event_group_commit_size",
    "capture: POST /v1/events requests written together in one transaction (group commit)",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512),
)
LEAD_GROUP_SIZE = Histogram(
    "leadrelay_lead_group_commit_size",
    "capture: lead intake requests (generic, vendor webhooks, forms) written together in one transaction",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512),
)
