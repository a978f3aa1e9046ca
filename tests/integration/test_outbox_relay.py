"""The outbox relay with several capture replicas: each lead's rows reach Kafka in the order they
were written, once each, and a row committed anywhere wakes the relays through NOTIFY."""

import asyncio
import uuid
from collections import defaultdict

import asyncpg

from services.capture.outbox import OutboxRelay
from services.capture.outbox_listener import OutboxListener
from shared.db import Database
from shared.kafka import ensure_topics, make_producer, topic_name
from tests.support.kafka_io import read_topic
from tests.support.stack import Stack

ROWS = 3000
KEYS = 20


async def test_three_relays_publish_each_leads_rows_once_and_in_order(stack: Stack, db: Database) -> None:
    settings = stack.settings(f"{stack.topic_prefix}outbox{uuid.uuid4().hex[:6]}.")
    await ensure_topics(settings, ["lead.captured"])
    topic = topic_name(settings, "lead.captured")
    tag = uuid.uuid4().hex[:8]
    conn = await asyncpg.connect(stack.dsn)
    try:
        await conn.execute(
            "INSERT INTO capture.outbox (topic, key, payload, headers)"
            " SELECT $1, $2 || (g % $3), convert_to(g::text, 'UTF8'), '[]'::jsonb FROM generate_series(1, $4) g",
            topic,
            f"{tag}-",
            KEYS,
            ROWS,
        )
    finally:
        await conn.close()
    producers = [make_producer(settings, f"capture-{i}") for i in range(3)]
    for p in producers:
        await p.start()
    relays = [OutboxRelay(db, p, batch=50) for p in producers]
    tasks = [asyncio.create_task(r.run()) for r in relays]
    try:
        records = await read_topic(topic, until=lambda rs: len(rs) >= ROWS, timeout=60, settle=1.0)
    finally:
        for r in relays:
            r.stop()
        await asyncio.gather(*tasks)
        for p in producers:
            await p.stop()

    by_key: dict[str, list[int]] = defaultdict(list)
    for record in records:
        by_key[record.key.decode()].append(int(record.value))
    assert sum(len(v) for v in by_key.values()) == ROWS, "every row published once"
    assert len(by_key) == KEYS
    out_of_order = {k: v for k, v in by_key.items() if v != sorted(v)}
    assert not out_of_order, f"rows of one lead published out of order: {list(out_of_order)[:3]}"


async def test_a_row_committed_by_another_replica_wakes_the_listener(stack: Stack, db: Database) -> None:
    wake = asyncio.Event()
    listener = OutboxListener(stack.settings().database_url, wake)
    task = asyncio.create_task(listener.run())
    try:
        async with asyncio.timeout(10):
            while not listener.listening:
                await asyncio.sleep(0.02)
        wake.clear()
        conn = await asyncpg.connect(stack.dsn)
        try:
            async with conn.transaction():
                await conn.execute(
                    "INSERT INTO capture.outbox (topic, key, payload, headers, published_at)"
                    " VALUES ('nowhere', 'k', '\\x00', '[]', now())"
                )
                await asyncio.sleep(0.3)
                assert not wake.is_set(), "nothing is announced before the commit"
        finally:
            await conn.close()
        await asyncio.wait_for(wake.wait(), 10)
    finally:
        listener.stop()
        await task
