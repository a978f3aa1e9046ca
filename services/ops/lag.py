"""Consumer lag from the broker's side, the way `kafka-consumer-groups.sh --describe` reports it:
per group and partition, the committed offset, the log end offset and the difference, plus the age
of the oldest message not yet consumed (its broker timestamp), which says how far behind in *time*
a stage is. Read from committed offsets only, so it agrees with KEDA and kafka-exporter and never
goes stale after a rebalance."""

import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from aiokafka import TopicPartition
from aiokafka.coordinator.protocol import ConsumerProtocolMemberAssignment

from shared.kafka import make_admin, make_consumer
from shared.settings import BaseServiceSettings


@dataclass(frozen=True)
class PartitionLag:
    group: str
    topic: str
    partition: int
    committed: int | None
    """None: the group has never committed on this partition (the CLI shows "-")."""
    end: int
    lag: int
    oldest_unconsumed_ms: int | None
    """Broker timestamp (ms since the epoch) of the first message past `committed`; None when caught up."""
    consumer_id: str | None
    host: str | None
    client_id: str | None

    def age_seconds(self, now_ms: int) -> float | None:
        if self.oldest_unconsumed_ms is None:
            return None
        return max(now_ms - self.oldest_unconsumed_ms, 0) / 1000.0

    def as_dict(self, now_ms: int) -> dict[str, Any]:
        return {**asdict(self), "lag_seconds": self.age_seconds(now_ms)}


@dataclass(frozen=True)
class Member:
    consumer_id: str
    client_id: str
    host: str


def member_count(description: Any) -> int:
    """How many members the groups of a DescribeGroups response have."""
    return sum(len(g[-2] if isinstance(g[-1], int) else g[-1]) for g in description.groups)


def _members(description: Any) -> dict[TopicPartition, Member]:
    """Which member owns each partition, from a DescribeGroups response."""
    owners: dict[TopicPartition, Member] = {}
    for group in description.groups:
        members = group[-2] if isinstance(group[-1], int) else group[-1]
        for member in members:
            member_id, client_id, host = member[0], member[-4], member[-3]
            raw = member[-1]
            if not raw:
                continue
            assignment = ConsumerProtocolMemberAssignment.decode(raw)
            for tp in assignment.partitions():
                owners[tp] = Member(member_id, client_id, host.lstrip("/"))
    return owners


async def _oldest_timestamps(
    settings: BaseServiceSettings, positions: dict[TopicPartition, int], timeout_s: float
) -> dict[TopicPartition, int]:
    """The timestamp of the message at each position (the first one not yet consumed)."""
    if not positions:
        return {}
    consumer = make_consumer(settings, enable_auto_commit=False, max_poll_records=1)
    await consumer.start()
    found: dict[TopicPartition, int] = {}
    try:
        consumer.assign(list(positions))
        for tp, offset in positions.items():
            consumer.seek(tp, offset)
        deadline = time.monotonic() + timeout_s
        while len(found) < len(positions) and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=200, max_records=len(positions))
            for tp, records in batch.items():
                if records and tp not in found:
                    found[tp] = records[0].timestamp
                    consumer.pause(tp)
    finally:
        await consumer.stop()
    return found


async def consumer_lag(
    settings: BaseServiceSettings, groups: Iterable[str] | None = None, timeout_s: float = 5.0
) -> list[PartitionLag]:
    """Every partition of every topic each group reads (has committed on or is assigned); groups: the
    given ones, else every consumer group whose name starts with `prefix`. A partition the group has
    not committed on yet counts from its first offset (the stages start from the earliest), which
    `kafka-consumer-groups.sh` leaves out for a group with no members: a stopped stage's lag then
    still counts every message waiting for it."""
    prefix = settings.topic_prefix
    admin = make_admin(settings, request_timeout_ms=int(timeout_s * 1000))
    await admin.start()
    try:
        wanted = (
            sorted(groups)
            if groups is not None
            else sorted(g[0] for g in await admin.list_consumer_groups() if g[0].startswith(prefix))
        )
        committed: dict[str, dict[TopicPartition, int]] = {}
        owners: dict[str, dict[TopicPartition, Member]] = {}
        for group in wanted:
            offsets = await admin.list_consumer_group_offsets(group)
            committed[group] = {tp: meta.offset for tp, meta in offsets.items() if meta.offset >= 0}
            owners[group] = {}
            for description in await admin.describe_consumer_groups([group]):
                owners[group].update(_members(description))
        topics = sorted({tp.topic for g in wanted for tp in (*committed[g], *owners[g])})
        described = await admin.describe_topics(topics) if topics else []
    finally:
        await admin.close()
    partitions = [TopicPartition(t["topic"], p["partition"]) for t in described for p in t["partitions"]]
    starts, ends = await _offsets(settings, sorted(partitions))
    rows = []
    for group in wanted:
        read = {tp.topic for tp in (*committed[group], *owners[group])}
        mine = sorted(tp for tp in ends if tp.topic in read)
        position = {tp: committed[group].get(tp, starts.get(tp, 0)) for tp in mine}
        behind = {tp: position[tp] for tp in mine if position[tp] < ends[tp]}
        stamps = await _oldest_timestamps(settings, behind, timeout_s)
        for tp in mine:
            done = committed[group].get(tp)
            end = ends[tp]
            member = owners[group].get(tp)
            lag = end - position[tp]
            rows.append(
                PartitionLag(
                    group=group,
                    topic=tp.topic,
                    partition=tp.partition,
                    committed=done,
                    end=end,
                    lag=lag,
                    oldest_unconsumed_ms=stamps.get(tp) if lag > 0 else None,
                    consumer_id=member.consumer_id if member else None,
                    host=member.host if member else None,
                    client_id=member.client_id if member else None,
                )
            )
    return rows


async def _offsets(
    settings: BaseServiceSettings, partitions: list[TopicPartition]
) -> tuple[dict[TopicPartition, int], dict[TopicPartition, int]]:
    """First and end offsets of the partitions."""
    if not partitions:
        return {}, {}
    consumer = make_consumer(settings, enable_auto_commit=False)
    await consumer.start()
    try:
        return dict(await consumer.beginning_offsets(partitions)), dict(await consumer.end_offsets(partitions))
    finally:
        await consumer.stop()


def now_ms() -> int:
    return int(time.time() * 1000)
