"""Sends due deliveries: each is marked `sending` (committed) before the call, then `sent`, or
queued again with a doubling wait, or `failed` after `max_attempts`. A subscription failing
`disable_after` times in a row is disabled, logged as an error and counted
(leadrelay_outbound_disabled_total, which the shipped alert watches); its deliveries wait until it
is enabled again. A sender that dies mid-call leaves rows `sending`; after 60 s another sends them
again with the same webhook-id (at least once: receivers drop a repeated id).

Each delivery is its own task, recorded as soon as it ends, with at most `IN_FLIGHT` at once: a
subscriber that hangs until the send timeout holds one slot, never the others' webhooks (a batch
awaited as a whole made every subscriber wait for the slowest)."""

import asyncio
import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from services.outbound import store
from services.outbound.config import OutboundSettings
from services.outbound.destinations import Destination, Outcome
from shared import metrics
from shared.db import Database
from shared.polling import PollingWorker
from shared.redact import redacted_url

log = logging.getLogger(__name__)
IN_FLIGHT = 100
STALE = timedelta(seconds=60)


class Sender(PollingWorker):
    def __init__(self, db: Database, destinations: Mapping[str, Destination], settings: OutboundSettings) -> None:
        self._db, self._destinations, self._settings = db, destinations, settings
        self._in_flight: set[asyncio.Task[None]] = set()
        super().__init__()
        self.idle_seconds = 0.5

    async def run(self) -> None:
        """Poll until stopped, then let the sends under way end (each is bounded by the send timeout)."""
        await super().run()
        if self._in_flight:
            await asyncio.wait(self._in_flight)

    async def tick(self) -> bool:
        room = IN_FLIGHT - len(self._in_flight)
        if room <= 0:
            await asyncio.wait(self._in_flight, return_when=asyncio.FIRST_COMPLETED)
            return True
        now = datetime.now(UTC)
        async with self._db.session_scope() as session:
            due = await store.lock_due(session, now, now - STALE, room)
        for delivery in due:
            task = asyncio.create_task(self._send(delivery))
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)
        return len(due) == room

    async def _send(self, delivery: store.Delivery) -> None:
        outcome = await self._deliver(delivery)
        try:
            await self._record(delivery, outcome)
        except Exception as exc:
            log.warning("outbound delivery %s could not be recorded (%r); sent again after %s", delivery.id, exc, STALE)

    async def _deliver(self, delivery: store.Delivery) -> Outcome:
        """Never raises: whatever goes wrong with one delivery (a URL the HTTP client cannot use, a bug
        in a destination) is that delivery's failure alone, counted and retried like a refused one."""
        destination = self._destinations.get(delivery.subscription.kind)
        if destination is None:
            return Outcome(False, None, f"no destination of kind {delivery.subscription.kind}")
        try:
            return await destination.deliver(delivery)
        except Exception as exc:
            log.warning(
                "outbound delivery to %s failed: %s", redacted_url(delivery.subscription.url), type(exc).__name__
            )
            return Outcome(False, None, f"unusable destination: {type(exc).__name__}")

    async def _record(self, delivery: store.Delivery, outcome: Outcome) -> None:
        kind = delivery.subscription.kind
        async with self._db.session_scope() as session:
            if outcome.ok:
                await store.record_sent(session, delivery, outcome.status)
                metrics.OUTBOUND.labels(kind, "sent").inc()
                return
            s = self._settings
            retry_at = None
            if delivery.attempts < s.max_attempts:
                wait = min(s.retry_base_s * 2 ** (delivery.attempts - 1), s.retry_cap_s)
                retry_at = datetime.now(UTC) + timedelta(seconds=wait)
            failures = await store.record_failed(session, delivery, outcome.status, outcome.error, retry_at)
            metrics.OUTBOUND.labels(kind, "retry" if retry_at else "failed").inc()
            if failures < s.disable_after:
                return
            reason = f"disabled after {failures} failed deliveries in a row (last: {outcome.error})"
            if not await store.disable(session, delivery.subscription.id, reason):
                return
        metrics.OUTBOUND_DISABLED.inc()
        url = redacted_url(delivery.subscription.url)
        log.error("outbound subscription %s to %s %s", delivery.subscription.id, url, reason)
