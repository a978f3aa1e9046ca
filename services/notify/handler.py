"""lead.assigned -> a Slack message to the rep. At most one successful send per (assignment, channel)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from services.notify import repository
from services.notify.message import alert_blocks, alert_text
from services.notify.slack_client import SlackClient, SlackError
from shared import metrics
from shared.claim_links import make_token
from shared.db import Database
from shared.events import EnvelopeBase, Event, LeadAssignedEvent
from shared.payloads import Assignment
from shared.runtime import Stage
from shared.topics import Topic

SLACK = "slack"


@dataclass(frozen=True)
class ClaimLinks:
    secret: str
    base_url: str
    ttl: timedelta

    def url(self, assignment: Assignment) -> str:
        token = make_token(self.secret, assignment.assignment_id, assignment.rep.id, datetime.now(UTC), self.ttl)
        return f"{self.base_url.rstrip('/')}/v1/claims/{token}"


@dataclass(frozen=True)
class NotifyDeps:
    db: Database
    slack: SlackClient
    links: ClaimLinks | None = None


async def handle(event: Event, deps: NotifyDeps) -> Sequence[EnvelopeBase]:
    assert isinstance(event, LeadAssignedEvent)
    assignment = event.data
    target = assignment.rep.slack
    if not target:
        metrics.NOTIFICATIONS.labels(SLACK, "no_target").inc()
        async with deps.db.session_scope() as session:
            await repository.mark_failed(session, assignment.assignment_id, SLACK, "", "rep has no Slack id")
        return []
    try:
        async with deps.db.session_scope() as session:
            status = await repository.lock_delivery(session, assignment.assignment_id, SLACK, target)
            if status == "sent":
                metrics.NOTIFICATIONS.labels(SLACK, "duplicate").inc()
                return []
            link = deps.links.url(assignment) if deps.links is not None else None
            posted = await deps.slack.post_message(target, alert_text(assignment), alert_blocks(assignment, link))
            await repository.mark_sent(session, assignment.assignment_id, SLACK, posted.ts)
    except SlackError as exc:
        metrics.NOTIFICATIONS.labels(SLACK, "failed").inc()
        async with deps.db.session_scope() as session:
            await repository.mark_failed(session, assignment.assignment_id, SLACK, target, str(exc))
        raise
    metrics.NOTIFICATIONS.labels(SLACK, "sent").inc()
    return []


STAGE: Stage[NotifyDeps] = Stage(name="notify", inputs=[Topic.LEAD_ASSIGNED], handle=handle)
