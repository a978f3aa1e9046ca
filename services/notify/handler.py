"""lead.assigned -> a delivery per channel the alert goes to (Slack, SMS, email), recorded for the
whole batch in one statement. The ones whose pacing slot is now are sent at once by the dispatcher;
the others wait in the queue for their slot. A redelivered alert records nothing new, so it is
never sent twice. A channel that is not configured, or a rep without an address on it, is recorded
as failed at once. Escalations are counted per recipient and window: beyond the threshold they
join the window's digest instead (see `digests`); claims (lead.acknowledged) mark them claimed there."""

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from services.notify import digests, queue, repository
from services.notify.channels.base import Channel
from services.notify.dispatcher import Dispatcher
from shared import metrics, tracing
from shared.business.notifications import EscalationDigest
from shared.db import Database
from shared.events import EnvelopeBase, Event, LeadAcknowledgedEvent, LeadAssignedEvent
from shared.runtime import Stage
from shared.topics import Topic


@dataclass(frozen=True)
class NotifyDeps:
    db: Database
    channels: dict[str, Channel]
    dispatcher: Dispatcher
    digest: EscalationDigest = field(default_factory=EscalationDigest)


@dataclass(frozen=True)
class Unsendable:
    event: LeadAssignedEvent
    channel: str
    reason: str


@dataclass(frozen=True)
class Plan:
    rows: list[queue.NewDelivery]
    unsendable: list[Unsendable]
    escalations: list[tuple[LeadAssignedEvent, digests.Escalation]]
    """Escalations are counted against their window before they get a delivery row (or not)."""


def plan(events: Sequence[LeadAssignedEvent], deps: NotifyDeps, now: float) -> Plan:
    found = Plan([], [], [])
    for event in events:
        a = event.data
        for name in a.channels or ["slack"]:
            channel = deps.channels.get(name)
            target = channel.target(a) if channel is not None else None
            if channel is None:
                found.unsendable.append(Unsendable(event, name, f"channel {name} is not configured"))
            elif not target:
                found.unsendable.append(Unsendable(event, name, f"rep has no {name} address"))
            elif a.outcome == "escalated":
                found.escalations.append((event, digests.Escalation(a, name, target)))
            else:
                found.rows.append(delivery(event, name, target, deps, now))
    return found


def delivery(event: LeadAssignedEvent, name: str, target: str, deps: NotifyDeps, now: float) -> queue.NewDelivery:
    at = deps.dispatcher.slot(name, target, now)
    send_now = at <= now and deps.dispatcher.alive
    when = datetime.fromtimestamp(at, UTC)
    trace = tracing.traceparent_of(event.event_id)
    return queue.NewDelivery(event.data, name, target, when, send_now, trace, event.lead_id, event.correlation_id)


async def handle_batch(events: Sequence[Event], deps: NotifyDeps) -> list[Sequence[EnvelopeBase]]:
    now = time.time()
    assigned = [e for e in events if isinstance(e, LeadAssignedEvent)]
    claims = [
        (e.data.assignment_id, e.data.rep_id, e.data.claimed_at) for e in events if isinstance(e, LeadAcknowledgedEvent)
    ]
    found = plan(assigned, deps, now)
    rows = found.rows
    async with deps.db.session_scope() as session:
        at = datetime.fromtimestamp(now, UTC)
        alone = await digests.admit(session, [e for _, e in found.escalations], deps.digest, at)
        events_of = {(e.assignment.assignment_id, e.channel): ev for ev, e in found.escalations}
        rows += [
            delivery(events_of[(e.assignment.assignment_id, e.channel)], e.channel, e.target, deps, now) for e in alone
        ]
        metrics.ESCALATIONS_DIGESTED.inc(len(found.escalations) - len(alone))
        sending = await queue.enqueue(session, rows, deps.dispatcher.sender)
        for u in found.unsendable:
            await repository.mark_failed(session, u.event, u.channel, u.reason)
        await digests.mark_claimed(session, claims, deps.digest, at)
    for u in found.unsendable:
        metrics.NOTIFICATIONS.labels(u.channel, "unsendable").inc()
    if found.unsendable:
        deps.dispatcher.after_record()
    deps.dispatcher.submit(sending)
    for row in rows:
        if not row.send_now:
            deps.dispatcher.poke(row.not_before.timestamp())
    return [[] for _ in events]


async def handle(event: Event, deps: NotifyDeps) -> Sequence[EnvelopeBase]:
    return (await handle_batch([event], deps))[0]


STAGE: Stage[NotifyDeps] = Stage(
    name="notify", inputs=[Topic.LEAD_ASSIGNED, Topic.LEAD_ACKNOWLEDGED], handle=handle, handle_batch=handle_batch
)
