"""Sends the queued alerts. The consumer only records deliveries (`queue.enqueue`) and hands over
the ones that may go at once; everything else waits in PostgreSQL for its time: a pacing slot, a
retry backoff, or a sender that died mid-send. So a rep flooded with alerts is paced alone, and
nobody else's alert waits behind theirs (no head-of-line blocking in a Kafka partition).

Exactly once per (assignment, channel): a row is `sending` (committed, with this sender's id) before
the provider is called, and `sent` after. This process proves it is alive in `notify.senders`; a
`sending` row whose sender stopped proving it is in doubt, and the provider is asked whether the
alert went out (Slack message metadata, Twilio's message list) before it is sent again."""

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from uuid import uuid4

from services.notify import queue
from services.notify.channels import is_alert
from services.notify.channels.base import Channel, DeliveryError, Sent
from services.notify.links import ClaimLinks
from services.notify.pacing import Pacer
from shared import metrics, tracing
from shared.backoff import Backoff
from shared.db import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SendPolicy:
    concurrency: int = 32
    max_attempts: int = 6
    retry_base_seconds: float = 2.0
    alive_seconds: float = 15.0
    """A sender silent this long is gone: its `sending` rows are reconciled by another."""
    poll_seconds: float = 1.0
    batch: int = 200

    def backoff(self, attempts: int) -> float:
        return float(min(self.retry_base_seconds * 2 ** (attempts - 1), 300.0))


def observe_speed_to_lead(d: queue.Delivery) -> None:
    """The first alert of a lead (attempt 1; a reassignment's clock is the SLA's business; a CRM
    write-back is no alert)."""
    arrived = d.assignment.lead_arrived_at
    if arrived is not None and d.assignment.attempt == 1 and is_alert(d.channel):
        seconds = (datetime.now(UTC) - arrived).total_seconds()
        metrics.SPEED_TO_LEAD.labels(d.assignment.lead.source, d.channel).observe(max(seconds, 0.0))


def _at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


class Dispatcher:
    def __init__(
        self,
        db: Database,
        channels: Mapping[str, Channel],
        links: ClaimLinks | None,
        pacer: Pacer,
        policy: SendPolicy,
    ) -> None:
        self.sender = uuid4()
        self.alive = False
        """True once this sender's heartbeat is stored: only then may rows be marked `sending` by it."""
        self._db, self._channels, self._links, self._pacer, self._policy = db, channels, links, pacer, policy
        self._limit = asyncio.Semaphore(policy.concurrency)
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._next_at = float("inf")
        self._beat_at = 0.0
        self.after_record: Callable[[], None] = lambda: None
        """Called once outcomes are stored (notify's outcome publisher wakes up)."""

    def readiness(self) -> dict[str, bool]:
        return {"sender": self.alive}

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    def slot(self, channel: str, target: str, now: float) -> float:
        return self._pacer.slot(channel, target, now)

    def poke(self, at: float) -> None:
        """A queued row becomes due at `at`: make sure the loop looks then."""
        if at < self._next_at:
            self._next_at = at
            self._wake.set()

    def submit(self, deliveries: list[queue.Delivery]) -> None:
        """Send rows already marked `sending` by this sender, in the background."""
        if deliveries:
            task = asyncio.create_task(self._send_group(deliveries))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                await self._beat()
                await self._dispatch_due()
            except Exception as exc:
                log.warning("notify dispatcher cannot reach the queue (%r); retrying", exc)
            await self._sleep()
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=self._policy.alive_seconds)

    async def _beat(self) -> None:
        if time.monotonic() - self._beat_at < self._policy.poll_seconds and self.alive:
            return
        async with self._db.session_scope() as session:
            await queue.heartbeat(session, self.sender)
        self._beat_at = time.monotonic()
        self.alive = True
        self._pacer.forget_idle(time.time())

    async def _sleep(self) -> None:
        now = time.time()
        seconds = min(self._policy.poll_seconds, max(self._next_at - now, 0.0))
        if self._next_at <= now + seconds:
            self._next_at = float("inf")
        try:
            await asyncio.wait_for(self._wake.wait(), seconds)
        except TimeoutError:
            pass
        self._wake.clear()

    async def _dispatch_due(self) -> None:
        while not self._stopping.is_set():
            now = time.time()
            async with self._db.session_scope() as session:
                due = await queue.lock_due(session, _at(now), self._policy.alive_seconds, self._policy.batch)
                go: list[queue.Delivery] = []
                later: list[tuple[int, datetime]] = []
                for item in due:
                    d = item.delivery
                    # In doubt: reconciled at once (deferring it would forget the doubt); few by nature.
                    unpaced = item.slotted or d.in_doubt_since is not None
                    at = now if unpaced else self._pacer.slot(d.channel, d.target, now)
                    if at <= now:
                        go.append(replace(d, attempts=d.attempts + 1))
                    else:
                        later.append((d.id, _at(at)))
                        self.poke(at)
                if go:
                    await queue.start_sending(session, [d.id for d in go], self.sender)
                if later:
                    await queue.defer(session, later)
            self.submit(go)
            if len(due) < self._policy.batch:
                return

    async def _send_group(self, deliveries: list[queue.Delivery]) -> None:
        results = await asyncio.gather(*(self._send_one(d) for d in deliveries))
        sent: list[tuple[int, str, str | None]] = []
        retry: list[tuple[int, datetime, str]] = []
        failed: list[tuple[int, str]] = []
        for d, result in zip(deliveries, results, strict=True):
            if isinstance(result, str | Sent):
                external_id, note = (result, None) if isinstance(result, str) else (result.external_id, result.note)
                sent.append((d.id, external_id, note))
                metrics.NOTIFICATIONS.labels(d.channel, "sent").inc()
                observe_speed_to_lead(d)
            elif d.attempts >= self._policy.max_attempts:
                failed.append((d.id, str(result)))
                metrics.NOTIFICATIONS.labels(d.channel, "failed").inc()
                log.error(
                    "%s alert for %s failed for good after %d attempts: %s",
                    d.channel,
                    d.assignment.assignment_id,
                    d.attempts,
                    result,
                )
            else:
                delay = self._policy.backoff(d.attempts)
                retry.append((d.id, _at(time.time() + delay), str(result)))
                metrics.NOTIFICATIONS.labels(d.channel, "retry").inc()
                self.poke(time.time() + delay)
        await self._record(queue.Outcomes(sent, retry, failed))

    async def _send_one(self, d: queue.Delivery) -> str | Sent | Exception:
        channel = self._channels.get(d.channel)
        if channel is None:
            return DeliveryError(f"channel {d.channel} is not configured")
        async with self._limit:
            attributes = {"leadrelay.assignment_id": str(d.assignment.assignment_id), "leadrelay.attempt": d.attempts}
            with tracing.client_span(f"notify send {d.channel}", d.traceparent, attributes):
                return await self._call(channel, d)

    async def _call(self, channel: Channel, d: queue.Delivery) -> str | Sent | Exception:
        try:
            if d.in_doubt_since is not None:
                found = await channel.find_sent(d.assignment, d.target, d.in_doubt_since)
                if found is not None:
                    metrics.NOTIFICATIONS.labels(d.channel, "reconciled").inc()
                    return found
            link, a = None, d.assignment
            if self._links is not None:
                link, a = self._links.url(a), self._links.with_records(a) if is_alert(d.channel) else a
            return await channel.send(a, d.target, link)
        except DeliveryError as exc:
            return exc
        except Exception as exc:
            log.exception("%s send for %s raised unexpectedly", d.channel, d.assignment.assignment_id)
            return exc

    async def _record(self, outcomes: queue.Outcomes) -> None:
        """Store what happened; while PostgreSQL is away, keep trying (the rows stay `sending` by this
        live sender meanwhile, so no one else sends them)."""
        backoff = Backoff("delivery_record", cap=10.0)
        tries = 0
        while True:
            try:
                async with self._db.session_scope() as session:
                    await queue.record(session, outcomes)
                self.after_record()
                return
            except Exception as exc:
                tries += 1
                if self._stopping.is_set() and tries > 5:
                    log.error("giving up recording %d outcomes (%r); they will be reconciled", len(outcomes.sent), exc)
                    return
                log.warning("cannot record delivery outcomes yet (%r); retrying", exc)
                await backoff.wait()
