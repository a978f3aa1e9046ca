"""`leadrelay insights rebuild`: empty the read model and send insights' consumer group back to the
start of every topic it reads, so the next insights start projects everything again. Stop insights
first: the command refuses while the group has members."""

import asyncio

from aiokafka import TopicPartition

from services.insights import projection
from services.insights.handler import INPUTS, STAGE
from services.ops.lag import member_count
from shared.db import Database, make_engine
from shared.kafka import make_admin, make_consumer, topic_name
from shared.settings import BaseServiceSettings


class GroupActive(Exception):
    """insights is still running: its group has members."""


async def _partitions(settings: BaseServiceSettings, group: str) -> list[TopicPartition]:
    admin = make_admin(settings, request_timeout_ms=10_000)
    await admin.start()
    try:
        members = sum(member_count(d) for d in await admin.describe_consumer_groups([group]))
        if members:
            raise GroupActive(f"insights' group {group} has {members} members: stop insights first")
        existing = set(await admin.list_topics())
        names = [n for n in (topic_name(settings, t.value) for t in INPUTS) if n in existing]
        described = await admin.describe_topics(names) if names else []
    finally:
        await admin.close()
    return [TopicPartition(t["topic"], p["partition"]) for t in described for p in t["partitions"]]


async def rewind(settings: BaseServiceSettings) -> int:
    """Commit each input partition's earliest offset for insights' group; returns how many partitions."""
    group = topic_name(settings, STAGE.name)
    partitions = await _partitions(settings, group)
    if not partitions:
        return 0
    consumer = make_consumer(settings, group_id=group, enable_auto_commit=False, request_timeout_ms=10_000)
    await consumer.start()
    try:
        consumer.assign(partitions)
        earliest = await consumer.beginning_offsets(partitions)
        await consumer.commit(dict(earliest))
    finally:
        await consumer.stop()
    return len(partitions)


async def rebuild(settings: BaseServiceSettings) -> int:
    partitions = await rewind(settings)
    db = Database(make_engine(settings.database_url, pool_size=1))
    try:
        async with db.session_scope() as session:
            await projection.clear(session)
    finally:
        await db.dispose()
    return partitions


def rebuild_command() -> int:
    try:
        partitions = asyncio.run(rebuild(BaseServiceSettings()))
    except GroupActive as exc:
        print(exc)
        return 1
    print(f"read model emptied; insights will re-read {partitions} partitions from offset 0 when it starts")
    return 0
