"""Reading and writing topics directly, as an ops person with the Kafka CLI would."""

import asyncio
from collections.abc import Callable

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from tests.support.stack import KAFKA


async def produce(
    topic: str, value: bytes, key: bytes | None = None, headers: list[tuple[str, bytes]] | None = None
) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=KAFKA, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, key=key, headers=headers or [])
    finally:
        await producer.stop()


async def produce_all(
    topic: str, records: list[tuple[bytes, bytes | None, list[tuple[str, bytes]]]], partitions: list[int] | None = None
) -> None:
    """(value, key, headers) records sent through one producer, all in flight at once (to the given
    partitions, else by key)."""
    producer = AIOKafkaProducer(bootstrap_servers=KAFKA, acks="all")
    await producer.start()
    try:
        acks = [
            await producer.send(
                topic, value, key=key, headers=headers, partition=partitions[i] if partitions is not None else None
            )
            for i, (value, key, headers) in enumerate(records)
        ]
        await asyncio.gather(*acks)
    finally:
        await producer.stop()


async def read_topic(
    topic: str,
    until: Callable[[list[ConsumerRecord]], bool],
    timeout: float = 30.0,
    settle: float = 0.0,
) -> list[ConsumerRecord]:
    """Every record of the topic from the beginning, read until `until(records)` holds (or timeout),
    then `settle` more seconds so that an unwanted duplicate has time to show up."""
    consumer = AIOKafkaConsumer(bootstrap_servers=KAFKA, enable_auto_commit=False, auto_offset_reset="earliest")
    await consumer.start()
    records: list[ConsumerRecord] = []
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        for _ in range(50):
            if partitions:
                break
            await asyncio.sleep(0.1)
            await consumer._client.force_metadata_update()
            partitions = consumer.partitions_for_topic(topic) or set()
        consumer.assign([TopicPartition(topic, p) for p in partitions])
        await consumer.seek_to_beginning()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        settled_at: float | None = None
        while loop.time() < deadline:
            batch = await consumer.getmany(timeout_ms=200)
            for recs in batch.values():
                records.extend(recs)
            if settled_at is None and until(records):
                settled_at = loop.time() + settle
            if settled_at is not None and loop.time() >= settled_at:
                break
    finally:
        await consumer.stop()
    return records


async def committed_offsets(group: str) -> dict[TopicPartition, int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=KAFKA)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
        return {tp: meta.offset for tp, meta in offsets.items()}
    finally:
        await admin.close()


async def activity_kinds(prefix: str, lead_id: str, count: int) -> list[str]:
    """The kinds of the lead's behaviour events on lead.activity (sorted), once `count` are there."""
    records = await read_topic(
        f"{prefix}lead.activity", until=lambda rs: sum(r.key == lead_id.encode() for r in rs) >= count, settle=1.0
    )
    return sorted(orjson.loads(r.value)["data"]["kind"] for r in records if r.key == lead_id.encode())
