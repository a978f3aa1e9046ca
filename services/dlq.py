"""Dead-letter topics for operators: list what failed and why, and replay it once the cause is fixed.
Replaying re-publishes each dead letter's original bytes, key and headers to the topic it came from;
the tool's own consumer group remembers what was replayed, so nothing is replayed twice."""

import asyncio
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, ConsumerRecord

from shared.kafka import make_consumer, make_producer, topic_name
from shared.settings import BaseServiceSettings
from shared.topics import Topic, dlq

REPLAY_GROUP = "dlq-replay"


@dataclass(frozen=True)
class DeadLetter:
    partition: int
    offset: int
    key: str
    headers: dict[str, str]

    @property
    def error(self) -> str:
        return f"{self.headers.get('dlq.error_class', '?')}: {self.headers.get('dlq.error', '')}"


def _headers(raw: list[tuple[str, bytes]] | tuple[tuple[str, bytes], ...] | None) -> dict[str, str]:
    return {k: v.decode(errors="replace") for k, v in raw or ()}


async def _consume(
    settings: BaseServiceSettings, topic: Topic, group: str | None, seconds: float
) -> tuple[AIOKafkaConsumer, list[ConsumerRecord]]:
    consumer = make_consumer(
        settings,
        topic_name(settings, dlq(topic.value)),
        group_id=topic_name(settings, group) if group else None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    records: list[ConsumerRecord] = []
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        batch = await consumer.getmany(timeout_ms=300)
        if not batch and records:
            break
        for recs in batch.values():
            records.extend(recs)
    return consumer, records


async def list_dead_letters(settings: BaseServiceSettings, topic: Topic, seconds: float = 5) -> list[DeadLetter]:
    consumer, records = await _consume(settings, topic, None, seconds)
    await consumer.stop()
    return [DeadLetter(r.partition, r.offset, (r.key or b"").decode(), _headers(r.headers)) for r in records]


async def replay(settings: BaseServiceSettings, topic: Topic, seconds: float = 5) -> int:
    """Re-publish every dead letter not replayed before; returns how many were re-published."""
    consumer, records = await _consume(settings, topic, REPLAY_GROUP, seconds)
    producer = make_producer(settings, "leadrelay-dlq-replay")
    await producer.start()
    try:
        acks = []
        for r in records:
            headers = [(k, v) for k, v in r.headers or () if not k.startswith("dlq.")]
            acks.append(await producer.send(topic_name(settings, topic.value), r.value, key=r.key, headers=headers))
        await asyncio.gather(*acks)
        if records:
            await consumer.commit()
    finally:
        await producer.stop()
        await consumer.stop()
    return len(records)
