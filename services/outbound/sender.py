"""Sends due deliveries: each is marked `sending` (committed) before the call, then `sent`, or
queued again with a doubling wait, or `failed` after `max_attempts`. A subscription failing
`disable_after` times in a row is disabled, logged as an error and counted
(leadrelay_outbound_disabled_total, which the shipped alert watches); its deliveries wait until it
is enabled again. A sender that dies mid-call leaves rows `sending`; after 60 s another sends them
again with the same webhook-id (at least once: receivers drop a repeated id)."""

import asyncio
import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.outbound import store
from services.outbound.config import OutboundSettings
from services.outbound.destinations import Destination, Outcome
from shared import metrics
from shared.db import Database
from shared.polling import PollingWorker
from shared.redact import redacted_url

log = logging.getLogger(__name__)
BATCH = 100
STALE = timedelta(seconds=60)


class Sender(PollingWorker):
    def __init__(self, db: Database, destinations: Mapping[str, Destination], settings: OutboundSettings) -> None:
        self._db, self._destinations, self._settings = db, destinations, settings
        super().__init__()
        self.idle_seconds = 0.5

    async def tick(self) -> bool:
        now = datetime.now(UTC)
        async with self._db.session_scope() as session:
            due = await store.lock_due(session, now, now - STALE, BATCH)
        if due:
            outcomes = await asyncio.gather(*(self._deliver(d) for d in due))
            async with self._db.session_scope() as session:
                for delivery, outcome in zip(due, outcomes, strict=True):
                    await self._record(session, delivery, outcome)
        return len(due) == BATCH

    async def _deliver(self, delivery: store.Delivery) -> Outcome:
        """Never raises: whatever goes wrong with one delivery (a URL the HTTP client cannot use, a bug
        in a destination) is that delivery's failure alone, counted and retried like a refused one,
        so the others of the batch are recorded once and never sent again."""
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

    async def _record(self, session: AsyncSession, delivery: store.Delivery, outcome: Outcome) -> None:
        kind = delivery.subscription.kind
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
        if failures >= s.disable_after and delivery.subscription.enabled:
            reason = f"disabled after {failures} failed deliveries in a row (last: {outcome.error})"
            await store.set_enabled(session, delivery.subscription.id, False, reason)
            metrics.OUTBOUND_DISABLED.inc()
            url = redacted_url(delivery.subscription.url)
            log.error("outbound subscription %s to %s %s", delivery.subscription.id, url, reason)
