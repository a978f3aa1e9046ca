"""The outbox relay: publishes committed intake rows to Kafka, marking them only after the broker acks.

If Kafka is down the rows simply wait; intake keeps answering because it only needs PostgreSQL."""

import asyncio
import logging

from aiokafka import AIOKafkaProducer

from services.capture import repository
from shared import metrics
from shared.db import Database

log = logging.getLogger(__name__)


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
        delay = 0.1
        while not self._stopping.is_set():
            try:
                published = await self.publish_batch()
                delay = 0.1
            except Exception as exc:
                log.warning("outbox relay cannot publish yet (%r); retrying in %.1fs", exc, delay)
                await self._wait(delay)
                delay = min(delay * 2, 5.0)
                continue
            if published < self._batch:
                await self._wait(0.5)

    async def publish_batch(self) -> int:
        async with self._db.session_scope() as session:
            rows = await repository.lock_unpublished(session, self._batch)
            if not rows:
                metrics.OUTBOX_PENDING.set(0)
                return 0
            acks = [await self._producer.send(r.topic, r.payload, key=r.key.encode(), headers=r.headers) for r in rows]
            await asyncio.gather(*acks)
            await repository.mark_published(session, [r.id for r in rows])
        metrics.OUTBOX_PUBLISHED.inc(len(rows))
        return len(rows)

    async def _wait(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self.wake.wait(), seconds)
        except TimeoutError:
            pass
        self.wake.clear()
