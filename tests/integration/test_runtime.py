"""The stage runtime against the real broker and database."""

import asyncio
import dataclasses
import uuid

import orjson
from prometheus_client import REGISTRY
from sqlalchemy import text

from shared.db import Database
from shared.events import serialize_event
from shared.kafka import ensure_topics, make_producer, topic_name
from shared.runtime import StageRunner
from tests.integration.stages import EffectDeps, effect_stage
from tests.support.events import scored_event
from tests.support.kafka_io import committed_offsets, produce, read_topic
from tests.support.processes import PYTHON, Proc
from tests.support.stack import ROOT, Stack


async def count(db: Database, table: str, event_id: uuid.UUID) -> int:
    async with db.session_scope() as session:
        result = await session.execute(
            text(f"SELECT count(*) FROM public.{table} WHERE event_id = :e"), {"e": event_id}
        )
        return int(result.scalar_one())


async def test_malformed_and_failing_messages_are_dead_lettered_and_the_next_one_flows(
    stack: Stack, db: Database
) -> None:
    settings = stack.settings(f"{stack.topic_prefix}dlq{uuid.uuid4().hex[:6]}.")
    await ensure_topics(settings)
    producer = make_producer(settings, "dlqtest")
    await producer.start()
    runner = StageRunner(effect_stage("dlqtest"), EffectDeps(db, "dlqtest", fail_for_score=13), settings, producer)
    task = asyncio.create_task(runner.run())
    source = topic_name(settings, "lead.scored")
    failing, good = scored_event(13), scored_event(50)
    try:
        key = b"one-partition"
        await produce(source, b'{"type": "lead.scored", "oops": true}', key=key)
        await produce(source, serialize_event(failing), key=key)
        await produce(source, serialize_event(good), key=key)

        dead = await read_topic(topic_name(settings, "lead.scored.dlq"), until=lambda r: len(r) >= 2, settle=0.5)
        out = await read_topic(topic_name(settings, "lead.nurture"), until=lambda r: len(r) >= 1, settle=0.5)
    finally:
        runner.stop()
        await task
        await producer.stop()

    assert len(dead) == 2
    invalid, exhausted = (
        dict(r.headers) for r in sorted(dead, key=lambda r: int(dict(r.headers)["dlq.source_offset"]))
    )
    assert invalid["dlq.error_class"] == b"ValidationError"
    assert invalid["dlq.source_topic"] == source.encode()
    assert invalid["dlq.attempts"] == b"0"
    assert exhausted["dlq.error_class"] == b"RuntimeError"
    assert b"cannot cope with score 13" in exhausted["dlq.error"]
    assert exhausted["dlq.attempts"] == str(settings.handler_max_attempts).encode()
    assert b'{"type": "lead.scored", "oops": true}' in [r.value for r in dead], "the original bytes are kept"
    assert await count(db, "calls", failing.event_id) == settings.handler_max_attempts
    assert [r.key for r in out] == [str(good.lead_id).encode()]
    assert await count(db, "effects", good.event_id) == 1
    assert 3 in (await committed_offsets(topic_name(settings, "dlqtest"))).values(), "all three were committed"


async def wait_for_commit(group: str, offset: int, seconds: float = 60) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        if offset in (await committed_offsets(group)).values():
            return
        await asyncio.sleep(0.3)
    raise AssertionError(f"group {group} never committed offset {offset}")


async def test_a_crash_between_produce_and_commit_reprocesses_without_a_duplicate_effect(
    stack: Stack, db: Database
) -> None:
    prefix = f"{stack.topic_prefix}crash{uuid.uuid4().hex[:6]}."
    settings = stack.settings(prefix)
    await ensure_topics(settings)
    event = scored_event(42)
    await produce(topic_name(settings, "lead.scored"), serialize_event(event), key=str(event.lead_id).encode())
    log_dir = ROOT / ".local" / "test-logs"
    args = [PYTHON, "-m", "tests.integration.crash_stage"]

    crashing = Proc(
        "crash-1", args, stack.env(LEADRELAY_TOPIC_PREFIX=prefix, CRASH_BEFORE_COMMIT="1"), log_dir / "crash-stage.log"
    ).start()
    assert crashing.popen is not None
    assert await asyncio.to_thread(crashing.popen.wait, 60) == -9, crashing.tail()

    output = topic_name(settings, "lead.nurture")
    acked = await read_topic(output, until=lambda r: len(r) >= 1)
    assert len(acked) == 1, "the output was acknowledged before the crash"
    assert await committed_offsets(topic_name(settings, "crashtest")) == {}, "nothing committed before the crash"

    restarted = Proc("crash-2", args, stack.env(LEADRELAY_TOPIC_PREFIX=prefix), log_dir / "crash-stage.log").start()
    try:
        await wait_for_commit(topic_name(settings, "crashtest"), 1)
    finally:
        assert await asyncio.to_thread(restarted.stop), restarted.tail()

    assert await count(db, "calls", event.event_id) == 2, "the input was processed again after the restart"
    assert await count(db, "effects", event.event_id) == 1, "but its side effect happened once"
    outputs = await read_topic(output, until=lambda r: len(r) >= 2)
    assert len({orjson.loads(r.value)["event_id"] for r in outputs}) == 1, "the re-sent output has the same event_id"


async def test_dead_letters_can_be_listed_and_replayed_once(stack: Stack, db: Database) -> None:
    import subprocess

    from tests.support.processes import PYTHON

    prefix = f"{stack.topic_prefix}dlqcli{uuid.uuid4().hex[:6]}."
    settings = stack.settings(prefix)
    await ensure_topics(settings)
    event = scored_event(60)
    await produce(
        topic_name(settings, "lead.scored.dlq"),
        serialize_event(event),
        str(event.lead_id).encode(),
        [("type", b"lead.scored"), ("dlq.error_class", b"RuntimeError"), ("dlq.error", b"db was down")],
    )
    env = stack.env(LEADRELAY_TOPIC_PREFIX=prefix)

    def cli(*args: str) -> str:
        done = subprocess.run(
            [PYTHON, "-m", "services.cli", *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    listed = await asyncio.to_thread(cli, "dlq", "list", "--topic", "lead.scored")
    first = await asyncio.to_thread(cli, "dlq", "replay", "--topic", "lead.scored")
    second = await asyncio.to_thread(cli, "dlq", "replay", "--topic", "lead.scored")
    assert "RuntimeError: db was down" in listed and "1 dead letters" in listed
    assert "re-published 1 " in first and "re-published 0 " in second
    [back] = await read_topic(topic_name(settings, "lead.scored"), until=lambda rs: len(rs) >= 1, settle=0.5)
    assert back.value == serialize_event(event) and dict(back.headers) == {"type": b"lead.scored"}


async def test_a_batch_in_one_transaction_rolls_back_whole_when_one_message_fails(stack: Stack, db: Database) -> None:
    """Twelve messages queued on one partition arrive as one batch. With a failing one among them the
    batch transaction rolls back (the good messages' first calls vanish with it) and the batch is
    handled one by one: the failing message is dead-lettered, and every other has one call, one
    effect and one output."""
    settings = stack.settings(f"{stack.topic_prefix}batch{uuid.uuid4().hex[:6]}.")
    await ensure_topics(settings)
    source = topic_name(settings, "lead.scored")
    events = [scored_event(50 + i) for i in range(12)]
    events[7] = scored_event(13)
    for event in events:
        await produce(source, serialize_event(event), key=b"one-partition")
    producer = make_producer(settings, "batchtest")
    await producer.start()
    runner = StageRunner(
        effect_stage("batchtest", batched=True), EffectDeps(db, "batchtest", fail_for_score=13), settings, producer
    )
    task = asyncio.create_task(runner.run())
    try:
        out = await read_topic(topic_name(settings, "lead.nurture"), until=lambda r: len(r) >= 11, settle=1.0)
        dead = await read_topic(topic_name(settings, "lead.scored.dlq"), until=lambda r: len(r) >= 1, settle=0.5)
    finally:
        runner.stop()
        await task
        await producer.stop()
    good = [e for e in events if e.data.total != 13]
    assert sorted(r.key for r in out) == sorted(str(e.lead_id).encode() for e in good), "every good message once"
    assert len(dead) == 1
    fallbacks = REGISTRY.get_sample_value(
        "leadrelay_handler_retries_total", {"stage": "batchtest", "kind": "batch_fallback"}
    )
    assert fallbacks == 1, "the batch was first tried as one transaction"
    for event in good:
        assert await count(db, "calls", event.event_id) == 1, "the rolled-back batch left nothing behind"
        assert await count(db, "effects", event.event_id) == 1


async def test_a_stage_that_wants_nothing_commits_its_records_unread_and_handles_them_once_it_does(
    stack: Stack, db: Database
) -> None:
    """`wants_any` (outbound with no subscription): records are committed without parsing or
    handling, even malformed ones; once it wants again, records are handled; and if it cannot tell
    (it raises), the batch is handled rather than dropped."""
    settings = stack.settings(f"{stack.topic_prefix}want{uuid.uuid4().hex[:6]}.")
    await ensure_topics(settings)
    answers: list[bool | Exception] = [False]

    async def wants_any(deps: EffectDeps) -> bool:
        answer = answers[-1]
        if isinstance(answer, Exception):
            raise answer
        return answer

    stage = dataclasses.replace(effect_stage("wanttest"), wants_any=wants_any)
    producer = make_producer(settings, "wanttest")
    await producer.start()
    runner = StageRunner(stage, EffectDeps(db, "wanttest"), settings, producer)
    task = asyncio.create_task(runner.run())
    source, group = topic_name(settings, "lead.scored"), topic_name(settings, "wanttest")
    unwanted, wanted, unsure = scored_event(50), scored_event(51), scored_event(52)
    key = b"one-partition"
    try:
        await produce(source, b"not even json", key=key)
        await produce(source, serialize_event(unwanted), key=key)
        await wait_for_commit(group, 2)
        answers.append(True)
        await produce(source, serialize_event(wanted), key=key)
        await wait_for_commit(group, 3)
        answers.append(RuntimeError("database down"))
        await produce(source, serialize_event(unsure), key=key)
        await wait_for_commit(group, 4)
    finally:
        runner.stop()
        await task
        await producer.stop()
    assert await count(db, "effects", unwanted.event_id) == 0
    assert await count(db, "effects", wanted.event_id) == 1
    assert await count(db, "effects", unsure.event_id) == 1
    dead = await read_topic(topic_name(settings, "lead.scored.dlq"), until=lambda r: False, settle=0.5, timeout=2)
    assert dead == [], "an unread record is not dead-lettered"
