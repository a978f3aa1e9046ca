"""The outbox relay: publishes committed intake rows to Kafka, marking them only after the broker acks.

If Kafka is down the rows simply wait; intake keeps answering because it only needs PostgreSQL.
A row the broker can never take (too large, an invalid topic) is set aside as failed with a
dead-letter record, so one bad row never stops the leads behind it."""

import asyncio
import logging
import time
from typing import cast

from aiokafka import AIOKafkaProducer
from aiokafka.errors import (
    InvalidTopicError,
    MessageSizeTooLargeError,
    RecordListTooLargeError,
    RecordTooLargeError,
)

from services.capture import repository
from shared import metrics
from shared.backoff import Backoff, pause
from shared.db import Database

log = logging.getLogger(__name__)
BACKLOG_COUNT_SECONDS = 5.0
IDLE_POLL_SECONDS = 1.0
"""A safety net only: new rows wake the relay at once (this replica's intake, or NOTIFY from any)."""
NEVER_PUBLISHABLE = (MessageSizeTooLargeError, RecordTooLargeError, RecordListTooLargeError, InvalidTopicError)


class OutboxRelay:
    def __init__(self, db: Database, producer: AIOKafkaProducer, batch: int) -> None:
        self._db = db
        self._producer = producer
        self._batch = batch
        self.wake = asyncio.Event()
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()
        self.wake.set()

    def readiness(self) -> dict[str, bool]:
        return {}

    async def run(self) -> None:
        backoff = Backoff("outbox_publish", initial=0.1)
        counted_at = 0.0
        while not self._stopping.is_set():
            if time.monotonic() - counted_at >= BACKLOG_COUNT_SECONDS:
                counted_at = time.monotonic()
                await self._count_backlog()
            try:
                published = await self.publish_batch()
                backoff.reset()
            except Exception as exc:
                log.warning("outbox relay cannot publish yet (%r); retrying", exc)
                await self._wait(backoff.delay())
                continue
            if published is None or published < self._batch:
                await self._wait(IDLE_POLL_SECONDS)

    async def _count_backlog(self) -> None:
        """The real backlog, whether or not the broker is up (a database outage keeps the last count)."""
        try:
            async with self._db.session_scope() as session:
                metrics.OUTBOX_PENDING.set(await repository.count_unpublished(session))
        except Exception as exc:
            log.warning("cannot count the outbox backlog (%r)", exc)

    async def _send(self, row: repository.OutboxRow) -> "asyncio.Future[object] | BaseException":
        try:
            future = await self._producer.send(row.topic, row.payload, key=row.key.encode(), headers=row.headers)
            return cast("asyncio.Future[object]", future)
        except NEVER_PUBLISHABLE as exc:
            return cast(BaseException, exc)

    async def publish_batch(self) -> int | None:
        """Publish the oldest unpublished rows; None when another replica's relay is publishing."""
        async with self._db.session_scope() as session:
            rows = await repository.lock_unpublished(session, self._batch)
            if rows is None:
                return None
            if not rows:
                return 0
            sent = [await self._send(r) for r in rows]
            pending = [s for s in sent if isinstance(s, asyncio.Future)]
            results = await asyncio.gather(*pending, return_exceptions=True)
            outcome = iter(results)
            failed: list[tuple[int, BaseException]] = []
            for row, attempt in zip(rows, sent, strict=True):
                result = next(outcome) if isinstance(attempt, asyncio.Future) else attempt
                if isinstance(result, NEVER_PUBLISHABLE):
                    failed.append((row.id, result))
                elif isinstance(result, BaseException):
                    raise result
            for outbox_id, error in failed:
                log.error("outbox row %d can never be published (%r); set aside as failed", outbox_id, error)
                await repository.mark_failed(session, outbox_id, repr(error))
            ok = [r.id for r in rows if r.id not in {f[0] for f in failed}]
            await repository.mark_published(session, ok)
        metrics.OUTBOX_PUBLISHED.inc(len(ok))
        metrics.OUTBOX_FAILED.inc(len(failed))
        return len(rows)

    async def _wait(self, seconds: float) -> None:
        await pause(self.wake, seconds)
        self.wake.clear()
