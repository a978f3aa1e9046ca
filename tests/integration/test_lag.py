"""`leadrelay lag` and the lag exporter against the real broker, checked against Kafka's own
`kafka-consumer-groups.sh --describe` (ConsumerGroupCommand from the same Kafka jars)."""

import asyncio
import json
import os
import subprocess
import time
import uuid

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.structs import OffsetAndMetadata

from services.ops.lag import consumer_lag
from services.ops.lag_exporter import create_exporter
from shared.settings import ApiKey, BaseServiceSettings
from tests.support.inprocess import free_port
from tests.support.kafka_io import produce_all
from tests.support.stack import KAFKA, OPS, OPS_KEY, ROOT, Stack

COMMITTED = {0: 3, 1: 0, 2: 7}


async def lagging_group(stack: Stack) -> tuple[str, str, int]:
    """A 3-partition topic with 10 messages per partition and a group that committed COMMITTED."""
    topic, group = (
        f"{stack.topic_prefix}lag{uuid.uuid4().hex[:6]}",
        f"{stack.topic_prefix}lag-group-{uuid.uuid4().hex[:6]}",
    )
    admin = AIOKafkaAdminClient(bootstrap_servers=KAFKA)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)])
    finally:
        await admin.close()
    produced_at = int(time.time() * 1000)
    await produce_all(topic, [(f"m{i}".encode(), None, []) for i in range(30)], partitions=[i % 3 for i in range(30)])
    consumer = AIOKafkaConsumer(bootstrap_servers=KAFKA, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign([TopicPartition(topic, p) for p in COMMITTED])
        await consumer.commit(
            {TopicPartition(topic, p): OffsetAndMetadata(o, "") for p, o in COMMITTED.items() if o > 0}
        )
    finally:
        await consumer.stop()
    return topic, group, produced_at


def kafka_describe(group: str) -> dict[tuple[str, int], tuple[str, str, str]]:
    """(topic, partition) -> (CURRENT-OFFSET, LOG-END-OFFSET, LAG) as Kafka's own tool prints them."""
    out = subprocess.run(
        [
            "java",
            "-cp",
            str(ROOT / ".local/kafka/libs/*"),
            "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand",
            "--bootstrap-server",
            KAFKA,
            "--describe",
            "--group",
            group,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    rows = {}
    for line in out.splitlines():
        cols = line.split()
        if len(cols) >= 6 and cols[0] == group:
            rows[(cols[1], int(cols[2]))] = (cols[3], cols[4], cols[5])
    return rows


async def test_lag_matches_kafka_consumer_groups_describe_and_dates_the_oldest_unconsumed_message(
    stack: Stack,
) -> None:
    topic, group, produced_at = await lagging_group(stack)
    rows = await consumer_lag(BaseServiceSettings(kafka_bootstrap=KAFKA), [group])
    ours = {(r.topic, r.partition): (str(r.committed), str(r.end), str(r.lag)) for r in rows if r.committed is not None}
    theirs = await asyncio.to_thread(kafka_describe, group)
    assert ours == theirs
    assert ours == {(topic, 0): ("3", "10", "7"), (topic, 2): ("7", "10", "3")}
    [never] = [r for r in rows if r.committed is None]
    assert (never.partition, never.lag) == (1, 10), "a partition the group never committed on lags from its start"
    for row in rows:
        assert row.oldest_unconsumed_ms is not None and abs(row.oldest_unconsumed_ms - produced_at) < 10_000

    env = {**os.environ, "LEADRELAY_KAFKA_BOOTSTRAP": KAFKA, "LEADRELAY_TOPIC_PREFIX": stack.topic_prefix}
    cli = await asyncio.to_thread(
        subprocess.run,
        [str(ROOT / ".venv/bin/leadrelay"), "lag", "--group", group, "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=True,
    )
    printed = json.loads(cli.stdout)
    assert {(r["topic"], r["partition"], r["lag"]) for r in printed} == {(topic, 0, 7), (topic, 1, 10), (topic, 2, 3)}
    assert all(r["lag_seconds"] is not None and r["lag_seconds"] >= 0 for r in printed)


async def test_one_exporter_serves_every_groups_lag_to_an_operator_only(stack: Stack) -> None:
    topic, group, _ = await lagging_group(stack)
    settings = stack.settings().model_copy(
        update={"api_keys": [ApiKey(name="ops", key=OPS_KEY, scopes=["ops:read"])]}  # type: ignore[arg-type]
    )
    app = create_exporter(settings, every_s=0.2)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://exporter") as http,
    ):
        assert (await http.get("/metrics")).status_code == 401
        async with asyncio.timeout(20):
            while f'group="{group}"' not in (body := (await http.get("/metrics", headers=OPS)).text):
                await asyncio.sleep(0.2)
    assert f'leadrelay_consumer_lag_messages{{group="{group}",partition="0",topic="{topic}"}} 7.0' in body
    assert f'leadrelay_consumer_lag_messages{{group="{group}",partition="2",topic="{topic}"}} 3.0' in body
    assert f'leadrelay_consumer_lag_messages{{group="{group}",partition="1",topic="{topic}"}} 10.0' in body


def test_lag_says_plainly_when_kafka_cannot_be_reached() -> None:
    closed = str(free_port())
    env = {**os.environ, "LEADRELAY_KAFKA_BOOTSTRAP": f"127.0.0.1:{closed}"}
    cli = subprocess.run(
        [str(ROOT / ".venv/bin/leadrelay"), "lag"], capture_output=True, text=True, timeout=60, env=env
    )
    assert cli.returncode == 1
    assert f"cannot read the lag from Kafka at 127.0.0.1:{closed}" in cli.stderr and "Traceback" not in cli.stderr
