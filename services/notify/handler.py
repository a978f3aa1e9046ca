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
from typing import Protocol
from uuid import UUID

from services.notify import digests, queue
from services.notify.channels.base import Channel
from services.notify.delivery_store import Unsendable
from services.notify.dispatcher import Dispatcher
from services.notify.uow import NotifyUnitOfWork, SqlNotifyUnitOfWork
from shared import metrics, tracing
from shared.business.notifications import EscalationDigest
from shared.db import Database
from shared.events import EnvelopeBase, Event, LeadAcknowledgedEvent, LeadAssignedEvent
from shared.runtime import Stage
from shared.topics import Topic


class Pacing(Protocol):
    """When each alert may go (the dispatcher's pacing slots), and who sends the ones due now."""

    sender: UUID

    @property
    def alive(self) -> bool: ...

    def slot(self, channel: str, target: str, now: float) -> float: ...


@dataclass(frozen=True)
class NotifyDeps:
    db: Database
    channels: dict[str, Channel]
    dispatcher: Dispatcher
    digest: EscalationDigest = field(default_factory=EscalationDigest)

    def uow(self) -> NotifyUnitOfWork:
        return SqlNotifyUnitOfWork(self.db)


@dataclass(frozen=True)
class Plan:
    rows: list[queue.NewDelivery]
    unsendable: list[Unsendable]
    escalations: list[tuple[LeadAssignedEvent, digests.Escalation]]
    """Escalations are counted against their window before they get a delivery row (or not)."""


def plan(events: Sequence[LeadAssignedEvent], channels: dict[str, Channel], pacing: Pacing, now: float) -> Plan:
    found = Plan([], [], [])
    for event in events:
        a = event.data
        for name in a.channels or ["slack"]:
            channel = channels.get(name)
            target = channel.target(a) if channel is not None else None
            if channel is None:
                found.unsendable.append(Unsendable(event, name, f"channel {name} is not configured"))
            elif not target:
                found.unsendable.append(Unsendable(event, name, f"rep has no {name} address"))
            elif a.outcome == "escalated":
                found.escalations.append((event, digests.Escalation(a, name, target)))
            else:
                found.rows.append(delivery(event, name, target, pacing, now))
    return found


def delivery(event: LeadAssignedEvent, name: str, target: str, pacing: Pacing, now: float) -> queue.NewDelivery:
    at = pacing.slot(name, target, now)
    send_now = at <= now and pacing.alive
    when = datetime.fromtimestamp(at, UTC)
    trace = tracing.traceparent_of(event.event_id)
    return queue.NewDelivery(event.data, name, target, when, send_now, trace, event.lead_id, event.correlation_id)


@dataclass(frozen=True)
class Recorded:
    sending: list[queue.Delivery]
    """Inserted as `sending` by this process: to be sent at once."""
    rows: list[queue.NewDelivery]
    unsendable: list[Unsendable]
    digested: int


async def record_batch(
    events: Sequence[Event],
    uow: NotifyUnitOfWork,
    channels: dict[str, Channel],
    pacing: Pacing,
    policy: EscalationDigest,
    now: float,
) -> Recorded:
    """A batch's alerts recorded in one statement per table: the escalations counted into their
    digests first (the first `threshold` of a window go alone), then the deliveries, the ones that
    cannot be sent, and the claims shown on the digests."""
    assigned = [e for e in events if isinstance(e, LeadAssignedEvent)]
    claims = [
        (e.data.assignment_id, e.data.rep_id, e.data.claimed_at) for e in events if isinstance(e, LeadAcknowledgedEvent)
    ]
    found = plan(assigned, channels, pacing, now)
    at = datetime.fromtimestamp(now, UTC)
    alone = await uow.digests.admit([e for _, e in found.escalations], policy, at)
    events_of = {(e.assignment.assignment_id, e.channel): ev for ev, e in found.escalations}
    rows = found.rows + [
        delivery(events_of[(e.assignment.assignment_id, e.channel)], e.channel, e.target, pacing, now) for e in alone
    ]
    sending = await uow.deliveries.enqueue(rows, pacing.sender)
    await uow.deliveries.fail(found.unsendable)
    await uow.digests.mark_claimed(claims, policy, at)
    return Recorded(sending, rows, found.unsendable, len(found.escalations) - len(alone))


async def handle_batch(events: Sequence[Event], deps: NotifyDeps) -> list[Sequence[EnvelopeBase]]:
    now = time.time()
    async with deps.uow() as uow:
        recorded = await record_batch(events, uow, deps.channels, deps.dispatcher, deps.digest, now)
    metrics.ESCALATIONS_DIGESTED.inc(recorded.digested)
    for u in recorded.unsendable:
        metrics.NOTIFICATIONS.labels(u.channel, "unsendable").inc()
    if recorded.unsendable:
        deps.dispatcher.after_record()
    deps.dispatcher.submit(recorded.sending)
    for row in recorded.rows:
        if not row.send_now:
            deps.dispatcher.poke(row.not_before.timestamp())
    return [[] for _ in events]


async def handle(event: Event, deps: NotifyDeps) -> Sequence[EnvelopeBase]:
    return (await handle_batch([event], deps))[0]


STAGE: Stage[NotifyDeps] = Stage(
    name="notify", inputs=[Topic.LEAD_ASSIGNED, Topic.LEAD_ACKNOWLEDGED], handle=handle, handle_batch=handle_batch
)
