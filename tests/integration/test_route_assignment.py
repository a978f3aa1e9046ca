"""Two route instances in one consumer group, one PostgreSQL: every lead assigned once, fairly."""

import asyncio
import uuid
from collections import Counter
from datetime import UTC, datetime

import asyncpg
import orjson
from aiokafka import AIOKafkaProducer

from services.route.handler import STAGE, RouteDeps
from services.route.state import StateChange
from services.route.store.pools import PoolStore
from shared.business.loader import load_config
from shared.db import Database
from shared.events import serialize_event
from shared.kafka import ensure_topics, make_producer, topic_name
from shared.runtime import StageRunner
from shared.settings import ROOT
from tests.support.events import scored_event
from tests.support.kafka_io import read_topic
from tests.support.stack import KAFKA, Stack

LEADS = 1000
CONFIG = load_config(ROOT / "config" / "leadrelay.example.yaml")


async def test_two_instances_assign_each_lead_once_and_balance_the_pool(stack: Stack, db: Database) -> None:
    settings = stack.settings(f"{stack.topic_prefix}route{uuid.uuid4().hex[:6]}.")
    await ensure_topics(settings)
    async with db.session_scope() as session:
        await PoolStore(session).sync_config(CONFIG)
    producers = [make_producer(settings, f"route-{i}") for i in range(2)]
    runners = [StageRunner(STAGE, RouteDeps(db, CONFIG, lambda: datetime.now(UTC)), settings, p) for p in producers]
    for p in producers:
        await p.start()
    tasks = [asyncio.create_task(r.run()) for r in runners]
    events = [scored_event(80) for _ in range(LEADS)]
    source, output = topic_name(settings, "lead.scored"), topic_name(settings, "lead.assigned")
    try:
        async with asyncio.timeout(60):
            while not all(r.assignment for r in runners):
                await asyncio.sleep(0.1)
        sender = AIOKafkaProducer(bootstrap_servers=KAFKA, acks="all")
        await sender.start()
        acks = [await sender.send(source, serialize_event(e), key=str(e.lead_id).encode()) for e in events]
        acks += [await sender.send(source, serialize_event(e), key=str(e.lead_id).encode()) for e in events[:30]]
        await asyncio.gather(*acks)
        await sender.stop()
        records = await read_topic(output, until=lambda rs: len(rs) >= LEADS + 30, timeout=60, settle=1.0)
        split = [len(r.assignment) for r in runners]
    finally:
        for r in runners:
            r.stop()
        await asyncio.gather(*tasks)
        for p in producers:
            await p.stop()

    assert all(split), f"both instances held partitions while the leads flowed: {split}"
    assigned = [orjson.loads(r.value) for r in records]
    by_lead: dict[str, set[str]] = {}
    for event in assigned:
        by_lead.setdefault(event["lead_id"], set()).add(event["data"]["assignment_id"])
    assert len(by_lead) == LEADS
    assert all(len(ids) == 1 for ids in by_lead.values()), "a repeated input re-emits the same assignment"

    conn = await asyncpg.connect(stack.dsn)
    try:
        rows = await conn.fetch(
            "SELECT lead_id, rep_id FROM route.assignments WHERE lead_id = ANY($1::uuid[])", [e.lead_id for e in events]
        )
    finally:
        await conn.close()
    assert len(rows) == LEADS, "exactly one assignment row per lead"
    per_rep = Counter(r["rep_id"] for r in rows)
    assert set(per_rep) == {"alice", "bruno", "chen"}
    assert max(per_rep.values()) - min(per_rep.values()) <= 1, per_rep


async def test_a_decision_that_waited_for_the_pool_lock_reads_the_credits_committed_before_it(db: Database) -> None:
    """PostgreSQL re-reads only the rows a FOR UPDATE locks once the wait ends: credits read through
    an unlocked join would be the ones from before the other decision, and round robin would drift."""
    now = datetime.now(UTC)
    async with db.session_scope() as session:
        await PoolStore(session).sync_config(CONFIG)
    async with db.session_scope() as first:
        before = await PoolStore(first).snapshot(CONFIG, ["inbound"], now, [], lock=True)
        credits = before.pools["inbound"].credits
        members = tuple((rep, 1) for rep in sorted(credits))
        await PoolStore(first).apply_change(StateChange("inbound", "alice", members, debit=len(members)))
        waiting = asyncio.create_task(_locked_credits(db, now))
        await asyncio.sleep(0.5)
        assert not waiting.done(), "the second decision waits for the first one's pool lock"
    expected = {rep: c + 1 - (len(members) if rep == "alice" else 0) for rep, c in credits.items()}
    assert await asyncio.wait_for(waiting, 10) == expected


async def _locked_credits(db: Database, now: datetime) -> dict[str, int]:
    async with db.session_scope() as session:
        snap = await PoolStore(session).snapshot(CONFIG, ["inbound"], now, [], lock=True)
        return dict(snap.pools["inbound"].credits)
