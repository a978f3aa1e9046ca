"""The routing-version follower against real Kafka and PostgreSQL: a starting service applies the
newest version from `config.published` before its first batch, falls back to `config.versions`
when the broker cannot be reached, follows versions published while it runs, and reports what it
applied to `config.applied` (and withdraws when it stops)."""

import asyncio
import uuid
from pathlib import Path

from shared import config_versions
from shared.business.loader import load_config
from shared.business.versioned import routing_part
from shared.config_versions import Version
from shared.db import Database
from shared.kafka import ensure_topics, make_producer
from shared.live_config import ConfigFollower, LiveConfig
from shared.topics import CONFIG_PUBLISHED
from tests.support.stack import ROOT, Stack

EXAMPLE = load_config(Path(ROOT) / "config" / "leadrelay.example.yaml")


def document(weight: int) -> dict[str, object]:
    doc = routing_part(EXAMPLE, compact=False)
    doc["pools"][1]["members"][0]["weight"] = weight  # type: ignore[index]
    return doc


async def stored(db: Database, namespace: str, weight: int) -> Version:
    async with db.session_scope() as session:
        return await config_versions.append(session, namespace, document(weight), "ops", f"weight {weight}", [], None)


async def published(stack: Stack, prefix: str, version: Version) -> None:
    settings = stack.settings(topic_prefix=prefix)
    producer = make_producer(settings, "test-config")
    await producer.start()
    try:
        await producer.send_and_wait(f"{prefix}{CONFIG_PUBLISHED}", value=version.record(), key=b"routing")
    finally:
        await producer.stop()


async def start(follower: ConfigFollower, live: LiveConfig) -> asyncio.Task[None]:
    task = asyncio.create_task(follower.run())
    await asyncio.wait_for(live.loaded.wait(), 30)
    return task


def weight_of(live: LiveConfig) -> int:
    return live.current.config.pool("enterprise").members[0].weight


async def test_a_starting_service_takes_the_topics_latest_then_follows_and_reports(stack: Stack, db: Database) -> None:
    prefix = f"{stack.topic_prefix}cf{uuid.uuid4().hex[:4]}."
    settings = stack.settings(topic_prefix=prefix)
    await ensure_topics(settings, [CONFIG_PUBLISHED])
    first = await stored(db, prefix, 3)
    await published(stack, prefix, first)
    live = LiveConfig(EXAMPLE)
    follower = ConfigFollower(live, settings, db, "route", heartbeat_s=0.5)
    task = await start(follower, live)
    try:
        assert (live.current.version, weight_of(live)) == (first.id, 3)
        second = await stored(db, prefix, 5)
        await published(stack, prefix, second)
        for _ in range(100):
            if live.current.version == second.id:
                break
            await asyncio.sleep(0.1)
        assert (live.current.version, weight_of(live)) == (second.id, 5), "followed without a restart"
        await asyncio.sleep(0.6)
        async with db.session_scope() as session:
            running = await config_versions.live_instances(session, prefix, 10)
        assert [(r["service"], r["version"]) for r in running] == [("route", second.id)]
    finally:
        follower.stop()
        await asyncio.wait_for(task, 10)
    async with db.session_scope() as session:
        assert await config_versions.live_instances(session, prefix, 10) == [], "a stopped instance withdraws"


async def test_without_the_broker_a_starting_service_takes_the_databases_latest(stack: Stack, db: Database) -> None:
    prefix = f"{stack.topic_prefix}cf{uuid.uuid4().hex[:4]}."
    latest = await stored(db, prefix, 7)
    unreachable = stack.settings(topic_prefix=prefix).model_copy(update={"kafka_bootstrap": "127.0.0.1:1"})
    live = LiveConfig(EXAMPLE)
    follower = ConfigFollower(live, unreachable, db, "score", heartbeat_s=0.5, topic_wait_s=2)
    task = await start(follower, live)
    try:
        assert (live.current.version, weight_of(live)) == (latest.id, 7)
        assert live.current.config.version == latest.id
    finally:
        follower.stop()
        await asyncio.wait_for(task, 10)
