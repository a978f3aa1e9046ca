"""lead.assigned -> an alert on each of the rep's channels (Slack, SMS, email), at most one successful
send per (assignment, channel). A channel that fails does not hold back the others; the failure is
stored and raised, so the runtime retries (already-sent channels are skipped) and then dead-letters.

Exactly once across crashes: the row is marked `sending` (committed) before the provider is called
and `sent` after. A row found `sending` means an earlier attempt died mid-send, so the provider is
asked whether that message exists (Slack: message metadata in the conversation history; Twilio: the
message list) before anything is sent again."""

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from services.notify import repository
from services.notify.channels.base import Channel, DeliveryError
from shared import metrics
from shared.claim_links import make_token
from shared.db import Database
from shared.events import EnvelopeBase, Event, LeadAssignedEvent
from shared.payloads import Assignment
from shared.runtime import Stage
from shared.topics import Topic


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
    channels: dict[str, Channel]
    links: ClaimLinks | None = None


async def deliver_once(deps: NotifyDeps, assignment: Assignment, channel_name: str) -> None:
    channel = deps.channels.get(channel_name)
    aid = assignment.assignment_id
    if channel is None:
        metrics.NOTIFICATIONS.labels(channel_name, "not_configured").inc()
        async with deps.db.session_scope() as session:
            await repository.mark_failed(session, aid, channel_name, "", f"channel {channel_name} is not configured")
        return
    target = channel.target(assignment)
    if not target:
        metrics.NOTIFICATIONS.labels(channel_name, "no_target").inc()
        async with deps.db.session_scope() as session:
            await repository.mark_failed(session, aid, channel_name, "", f"rep has no {channel_name} address")
        return
    try:
        async with deps.db.session_scope() as session:
            state = await repository.lock_delivery(session, aid, channel_name, target)
            if state.status == "sent":
                metrics.NOTIFICATIONS.labels(channel_name, "duplicate").inc()
                return
            if state.status == "sending" and state.sending_at is not None:
                found = await channel.find_sent(assignment, target, state.sending_at)
                if found is not None:
                    await repository.mark_sent(session, aid, channel_name, found)
                    metrics.NOTIFICATIONS.labels(channel_name, "reconciled").inc()
                    return
            await repository.mark_sending(session, aid, channel_name, datetime.now(UTC))
        link = deps.links.url(assignment) if deps.links is not None else None
        external_id = await channel.send(assignment, target, link)
        async with deps.db.session_scope() as session:
            await repository.mark_sent(session, aid, channel_name, external_id)
    except DeliveryError as exc:
        metrics.NOTIFICATIONS.labels(channel_name, "failed").inc()
        async with deps.db.session_scope() as session:
            await repository.mark_failed(session, aid, channel_name, target, str(exc))
        raise
    metrics.NOTIFICATIONS.labels(channel_name, "sent").inc()


async def handle(event: Event, deps: NotifyDeps) -> Sequence[EnvelopeBase]:
    assert isinstance(event, LeadAssignedEvent)
    failures: list[DeliveryError] = []
    for channel_name in event.data.channels or ["slack"]:
        try:
            await deliver_once(deps, event.data, channel_name)
        except DeliveryError as exc:
            failures.append(exc)
    if failures:
        raise DeliveryError("; ".join(str(f) for f in failures))
    return []


async def _send_fresh(deps: NotifyDeps, assignment: Assignment, job: repository.Job) -> str:
    channel = deps.channels[job.channel]
    link = deps.links.url(assignment) if deps.links is not None else None
    return await channel.send(assignment, job.target, link)


async def handle_batch(events: Sequence[Event], deps: NotifyDeps) -> list[Sequence[EnvelopeBase]]:
    """A partition's batch at once: every new (assignment, channel) is marked `sending` in one
    committed statement, all are sent concurrently, and the sends are recorded in one statement.
    Anything unusual (a row that exists already, no address, a failed send) goes through
    `deliver_once`, which knows how to reconcile; a failed send raises, and the runtime then handles
    the batch one message at a time (rows already `sent` are skipped there)."""
    jobs: list[tuple[Assignment, repository.Job]] = []
    others: list[tuple[Assignment, str]] = []
    for event in events:
        assert isinstance(event, LeadAssignedEvent)
        a = event.data
        for name in a.channels or ["slack"]:
            channel = deps.channels.get(name)
            target = channel.target(a) if channel is not None else None
            if channel is None or not target:
                others.append((a, name))
            else:
                jobs.append((a, repository.Job(a.assignment_id, name, target)))
    async with deps.db.session_scope() as session:
        fresh = await repository.start_fresh(session, [j for _, j in jobs], datetime.now(UTC))
    others += [(a, j.channel) for a, j in jobs if (j.assignment_id, j.channel) not in fresh]
    mine = [(a, j) for a, j in jobs if (j.assignment_id, j.channel) in fresh]
    results = await asyncio.gather(*(_send_fresh(deps, a, j) for a, j in mine), return_exceptions=True)
    sent = [(j, r) for (_, j), r in zip(mine, results, strict=True) if isinstance(r, str)]
    if sent:
        async with deps.db.session_scope() as session:
            await repository.mark_sent_many(session, sent)
    for (_, j), r in zip(mine, results, strict=True):
        metrics.NOTIFICATIONS.labels(j.channel, "sent" if isinstance(r, str) else "failed").inc()
    for a, name in others:
        await deliver_once(deps, a, name)
    failed = [r for r in results if isinstance(r, BaseException)]
    if failed:
        raise DeliveryError("; ".join(str(f) for f in failed))
    return [[] for _ in events]


STAGE: Stage[NotifyDeps] = Stage(name="notify", inputs=[Topic.LEAD_ASSIGNED], handle=handle, handle_batch=handle_batch)
