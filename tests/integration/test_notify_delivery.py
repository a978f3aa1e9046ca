"""notify's delivery queue against real PostgreSQL and the Slack stand-in: one message per
(assignment, channel), retries with backoff, pacing per rep without head-of-line blocking, and
reconciliation of sends left in doubt by a dead sender."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest

from services.notify.channels.base import DeliveryError
from services.notify.channels.slack import SlackChannel
from services.notify.dispatcher import Dispatcher, SendPolicy
from services.notify.handler import NotifyDeps, handle, handle_batch
from services.notify.pacing import Pace, Pacer
from services.notify.slack_client import SlackClient
from shared.db import Database
from shared.events import LeadAssignedEvent, follow_event
from shared.payloads import Assignment, LeadSummary, RepContact
from standins.slack import create_app
from tests.support.events import scored_event
from tests.support.inprocess import serve_app
from tests.support.stack import Stack

FAST = SendPolicy(max_attempts=3, retry_base_seconds=0.05, poll_seconds=0.05, alive_seconds=2.0)


def assigned(slack: str | None = "U01BRUNO", name: str = "Dana Reyes") -> LeadAssignedEvent:
    data = Assignment(
        assignment_id=uuid.uuid4(),
        attempt=1,
        pool_id="inbound",
        rep=RepContact(id="bruno", name="Bruno Keller", slack=slack),
        reason="Round robin",
        lead=LeadSummary(
            name=name,
            email="d@initech.com",
            phone=None,
            company="Initech",
            title=None,
            source="website",
            score=70,
            reasons=[],
        ),
    )
    return follow_event(LeadAssignedEvent, scored_event(70), producer="test", data=data)


@dataclass
class Notify:
    deps: NotifyDeps
    slack: str
    channel: SlackChannel


async def running(db: Database, channel: SlackChannel, pacer: Pacer, policy: SendPolicy = FAST) -> Dispatcher:
    dispatcher = Dispatcher(db, {"slack": channel}, None, pacer, policy)
    RUNNING.append((dispatcher, asyncio.create_task(dispatcher.run())))
    async with asyncio.timeout(10):
        while not dispatcher.alive:
            await asyncio.sleep(0.01)
    return dispatcher


RUNNING: list[tuple[Dispatcher, "asyncio.Task[None]"]] = []


@pytest.fixture
async def notify(db: Database) -> AsyncIterator[Notify]:
    async with serve_app(create_app()) as base, httpx.AsyncClient() as http:
        channel = SlackChannel(SlackClient(http, f"{base}/api", "xoxb-test", 2, 5))
        dispatcher = await running(db, channel, Pacer({}))
        try:
            yield Notify(NotifyDeps(db, {"slack": channel}, dispatcher), base, channel)
        finally:
            while RUNNING:
                d, task = RUNNING.pop()
                d.stop()
                await task


async def messages(base: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient() as http:
        return list((await http.get(f"{base}/_standin/messages")).json())


async def wait_for(base: str, count: int, timeout: float = 15) -> list[dict[str, Any]]:
    async with asyncio.timeout(timeout):
        while len(received := await messages(base)) < count:
            await asyncio.sleep(0.05)
    return received


async def rows(stack: Stack, ids: list[uuid.UUID]) -> dict[uuid.UUID, asyncpg.Record]:
    conn = await asyncpg.connect(stack.dsn)
    try:
        found = await conn.fetch("SELECT * FROM notify.deliveries WHERE assignment_id = ANY($1)", ids)
    finally:
        await conn.close()
    return {r["assignment_id"]: r for r in found}


async def settled(stack: Stack, ids: list[uuid.UUID], timeout: float = 15) -> dict[uuid.UUID, asyncpg.Record]:
    async with asyncio.timeout(timeout):
        while True:
            found = await rows(stack, ids)
            if len(found) == len(ids) and all(r["status"] in ("sent", "failed") for r in found.values()):
                return found
            await asyncio.sleep(0.05)


async def test_the_same_assignment_twice_sends_one_message_and_records_it(notify: Notify, stack: Stack) -> None:
    event = assigned()
    assert await handle(event, notify.deps) == []
    assert await handle(event, notify.deps) == []
    row = (await settled(stack, [event.data.assignment_id]))[event.data.assignment_id]
    await asyncio.sleep(0.3)
    received = await messages(notify.slack)
    assert [m["channel"] for m in received] == ["U01BRUNO"]
    assert "Dana Reyes" in received[0]["body"]["text"]
    assert row["status"] == "sent" and row["external_id"] == received[0]["ts"] and row["attempts"] == 1


async def test_a_failing_send_is_retried_with_backoff_then_recorded_as_failed(notify: Notify, stack: Stack) -> None:
    async with httpx.AsyncClient() as http:
        await http.post(f"{notify.slack}/_standin/faults", json={"server_errors": 100})
    event = assigned()
    await handle(event, notify.deps)
    row = (await settled(stack, [event.data.assignment_id]))[event.data.assignment_id]
    assert row["status"] == "failed" and "HTTP 500" in row["last_error"]
    assert row["attempts"] == FAST.max_attempts
    assert await messages(notify.slack) == []


class FailsOnce(SlackChannel):
    """The real Slack channel, except that one assignment's first send fails."""

    def __init__(self, inner: SlackChannel, victim: uuid.UUID) -> None:
        self.__dict__.update(inner.__dict__)
        self.victim, self.failed = victim, False

    async def send(self, assignment: Assignment, target: str, claim_url: str | None) -> str:
        if assignment.assignment_id == self.victim and not self.failed:
            self.failed = True
            raise DeliveryError("slack: stand-in says no, once")
        return await super().send(assignment, target, claim_url)


async def test_a_batch_goes_at_once_and_a_failed_send_is_retried_exactly_once(
    notify: Notify, stack: Stack, db: Database
) -> None:
    events = [assigned(), assigned(), assigned()]
    notify.deps.dispatcher.stop()
    flaky = FailsOnce(notify.channel, events[1].data.assignment_id)
    dispatcher = await running(db, flaky, Pacer({}))
    deps = NotifyDeps(db, {"slack": flaky}, dispatcher)
    await handle_batch(events, deps)
    await handle_batch(events, deps)
    ids = [e.data.assignment_id for e in events]
    found = await settled(stack, ids)
    assert [found[i]["status"] for i in ids] == ["sent", "sent", "sent"]
    assert [found[i]["attempts"] for i in ids] == [1, 2, 1]
    received = await messages(notify.slack)
    for event in events:
        mine = [m for m in received if str(event.data.assignment_id) in str(m["body"])]
        assert len(mine) == 1, "one message per assignment, the failed one sent again exactly once"


async def test_a_flooded_rep_is_paced_and_does_not_hold_back_another_reps_alert(
    notify: Notify, stack: Stack, db: Database
) -> None:
    notify.deps.dispatcher.stop()
    dispatcher = await running(db, notify.channel, Pacer({"slack": Pace(per_second=5.0, burst=2)}))
    deps = NotifyDeps(db, {"slack": notify.channel}, dispatcher)
    flood = [assigned("U0FLOOD", f"Flood {i}") for i in range(12)]
    await handle_batch([*flood[:6], assigned("U0CALM", "Calm one"), *flood[6:]], deps)
    await asyncio.sleep(0.5)
    await handle_batch([assigned("U0CALM", "Calm two")], deps)
    received = await wait_for(notify.slack, 14)
    order = [m["channel"] for m in received]
    assert order.index("U0CALM") < 3, f"the other rep's first alert goes at once: {order}"
    second_calm = len(order) - 1 - order[::-1].index("U0CALM")
    assert second_calm < order.index("U0FLOOD") + 6, f"and so does their later one: {order}"
    flooded = [m["received_at"] for m in received if m["channel"] == "U0FLOOD"]
    assert flooded[-1] - flooded[0] >= (12 - 2) / 5.0 * 0.9, "the flooded rep gets 2 at once, then 5 per second"
    await settled(stack, [e.data.assignment_id for e in flood])


async def test_a_send_left_in_doubt_by_a_dead_sender_is_reconciled_not_repeated(notify: Notify, stack: Stack) -> None:
    went_out, never_went = assigned(name="Went Out"), assigned(name="Never Went")
    await notify.channel.send(went_out.data, "U01BRUNO", None)
    dead = uuid.uuid4()
    conn = await asyncpg.connect(stack.dsn)
    try:
        for event in (went_out, never_went):
            await conn.execute(
                "INSERT INTO notify.deliveries (assignment_id, channel, target, status, assignment, sending_at,"
                " sending_by, attempts) VALUES ($1, 'slack', 'U01BRUNO', 'sending', $2::jsonb, now(), $3, 1)",
                event.data.assignment_id,
                event.data.model_dump_json(),
                dead,
            )
    finally:
        await conn.close()
    found = await settled(stack, [went_out.data.assignment_id, never_went.data.assignment_id])
    assert {r["status"] for r in found.values()} == {"sent"}
    received = await messages(notify.slack)
    assert sorted(m["body"]["text"].count("Went Out") for m in received) == [0, 1], "the one sent is not sent again"
    assert sum("Never Went" in m["body"]["text"] for m in received) == 1
