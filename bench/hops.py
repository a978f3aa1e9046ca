"""Per-hop latency of one phase, from Kafka record timestamps: intake -> first topic, each topic ->
the next, last topic -> the Slack stand-in. Both leadrelay and the raw relay carry the lead's tag
(its bench+TAG@ email) in every record, so each lead is followed through every topic."""

import statistics

from aiokafka import AIOKafkaConsumer, TopicPartition

from bench.loadgen import TAG, Phase
from tests.support.stack import KAFKA


async def first_seen(topic: str, tags: set[str]) -> dict[str, float]:
    """Each tag's first record timestamp (seconds) on `topic`, reading it to its current end."""
    consumer = AIOKafkaConsumer(bootstrap_servers=KAFKA, enable_auto_commit=False)
    await consumer.start()
    seen: dict[str, float] = {}
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or set()]
        if not partitions:
            await consumer._client.force_metadata_update()
            partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or set()]
        consumer.assign(partitions)
        await consumer.seek_to_beginning()
        ends = await consumer.end_offsets(partitions)
        while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
            for records in (await consumer.getmany(timeout_ms=500, max_records=5000)).values():
                for r in records:
                    found = TAG.search(r.value.decode(errors="replace"))
                    if found and found.group(1) in tags:
                        seen.setdefault(found.group(1), r.timestamp / 1000)
    finally:
        await consumer.stop()
    return seen


async def hop_p50s(topics: list[str], phase: Phase) -> list[tuple[str, float]]:
    """(hop, p50 ms) for the phase's leads that reached Slack."""
    tags = {t for t, times in phase.alerts.items() if times}
    stamps = [{t: phase.scheduled[t] for t in tags}]
    for topic in topics:
        stamps.append(await first_seen(topic, tags))
    stamps.append({t: min(phase.alerts[t]) for t in tags})
    names = ["intake", *(t.rsplit(".", 1)[-1] for t in topics), "slack"]
    hops = []
    for i in range(len(stamps) - 1):
        gaps = [(stamps[i + 1][t] - stamps[i][t]) * 1000 for t in tags if t in stamps[i] and t in stamps[i + 1]]
        if gaps:
            hops.append((f"{names[i]} -> {names[i + 1]}", statistics.median(gaps)))
    return hops
