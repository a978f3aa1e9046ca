"""lead.assigned -> a delivery per channel the alert goes to (Slack, SMS, email), recorded for the
whole batch in one statement. The ones whose pacing slot is now are sent at once by the dispatcher;
the others wait in the queue for their slot. A redelivered alert records nothing new, so it is
never sent twice. A channel that is not configured, or a rep without an address on it, is recorded
as failed at once."""

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from services.notify import queue, repository
from services.notify.channels.base import Channel
from services.notify.dispatcher import Dispatcher
from shared import metrics, tracing
from shared.db import Database
from shared.events import EnvelopeBase, Event, LeadAssignedEvent
from shared.runtime import Stage
from shared.topics import Topic


@dataclass(frozen=True)
class NotifyDeps:
    db: Database
    channels: dict[str, Channel]
    dispatcher: Dispatcher


@dataclass(frozen=True)
class Unsendable:
    event: LeadAssignedEvent
    channel: str
    reason: str


def plan(events: Sequence[Event], deps: NotifyDeps, now: float) -> tuple[list[queue.NewDelivery], list[Unsendable]]:
    rows: list[queue.NewDelivery] = []
    unsendable: list[Unsendable] = []
    for event in events:
        assert isinstance(event, LeadAssignedEvent)
        a = event.data
        for name in a.channels or ["slack"]:
            channel = deps.channels.get(name)
            target = channel.target(a) if channel is not None else None
            if channel is None:
                unsendable.append(Unsendable(event, name, f"channel {name} is not configured"))
            elif not target:
                unsendable.append(Unsendable(event, name, f"rep has no {name} address"))
            else:
                at = deps.dispatcher.slot(name, target, now)
                send_now = at <= now and deps.dispatcher.alive
                when = datetime.fromtimestamp(at, UTC)
                trace = tracing.traceparent_of(event.event_id)
                rows.append(
                    queue.NewDelivery(a, name, target, when, send_now, trace, event.lead_id, event.correlation_id)
                )
    return rows, unsendable


async def handle_batch(events: Sequence[Event], deps: NotifyDeps) -> list[Sequence[EnvelopeBase]]:
    now = time.time()
    rows, unsendable = plan(events, deps, now)
    async with deps.db.session_scope() as session:
        sending = await queue.enqueue(session, rows, deps.dispatcher.sender)
        for u in unsendable:
            await repository.mark_failed(session, u.event, u.channel, u.reason)
    for u in unsendable:
        metrics.NOTIFICATIONS.labels(u.channel, "unsendable").inc()
    if unsendable:
        deps.dispatcher.after_record()
    deps.dispatcher.submit(sending)
    for row in rows:
        if not row.send_now:
            deps.dispatcher.poke(row.not_before.timestamp())
    return [[] for _ in events]


async def handle(event: Event, deps: NotifyDeps) -> Sequence[EnvelopeBase]:
    return (await handle_batch([event], deps))[0]


STAGE: Stage[NotifyDeps] = Stage(name="notify", inputs=[Topic.LEAD_ASSIGNED], handle=handle, handle_batch=handle_batch)
