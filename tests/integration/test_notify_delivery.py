"""notify's handler against real PostgreSQL and the Slack stand-in: one message per assignment."""

import uuid
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest

from services.notify.channels.base import DeliveryError
from services.notify.channels.slack import SlackChannel
from services.notify.handler import NotifyDeps, handle, handle_batch
from services.notify.slack_client import SlackClient
from shared.db import Database
from shared.events import LeadAssignedEvent, follow_event
from shared.payloads import Assignment, LeadSummary, RepContact
from standins.slack import create_app
from tests.support.events import scored_event
from tests.support.inprocess import serve_app
from tests.support.stack import Stack


def assigned(slack: str | None = "U01BRUNO") -> LeadAssignedEvent:
    data = Assignment(
        assignment_id=uuid.uuid4(),
        attempt=1,
        pool_id="inbound",
        rep=RepContact(id="bruno", name="Bruno Keller", slack=slack),
        reason="Round robin",
        lead=LeadSummary(
            name="Dana Reyes",
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


@pytest.fixture
async def deps(db: Database) -> AsyncIterator[tuple[NotifyDeps, str]]:
    async with serve_app(create_app()) as base, httpx.AsyncClient() as http:
        slack = SlackChannel(SlackClient(http, f"{base}/api", "xoxb-test", 2, 5))
        yield NotifyDeps(db, {"slack": slack}), base


async def test_the_same_assignment_twice_sends_one_message_and_records_it(
    deps: tuple[NotifyDeps, str], stack: Stack
) -> None:
    notify, base = deps
    event = assigned()
    assert await handle(event, notify) == []
    assert await handle(event, notify) == []

    async with httpx.AsyncClient() as http:
        received = (await http.get(f"{base}/_standin/messages")).json()
    assert [m["channel"] for m in received] == ["U01BRUNO"]
    assert "Dana Reyes" in received[0]["body"]["text"]
    conn = await asyncpg.connect(stack.dsn)
    try:
        row = await conn.fetchrow(
            "SELECT status, external_id FROM notify.deliveries WHERE assignment_id = $1", event.data.assignment_id
        )
    finally:
        await conn.close()
    assert row is not None and row["status"] == "sent" and row["external_id"] == received[0]["ts"]


async def test_a_failed_send_is_recorded_and_raised(deps: tuple[NotifyDeps, str], stack: Stack) -> None:
    notify, base = deps
    event = assigned()
    async with httpx.AsyncClient() as http:
        await http.post(f"{base}/_standin/faults", json={"server_errors": 5})
    with pytest.raises(DeliveryError):
        await handle(event, notify)
    conn = await asyncpg.connect(stack.dsn)
    try:
        row = await conn.fetchrow(
            "SELECT status, last_error FROM notify.deliveries WHERE assignment_id = $1", event.data.assignment_id
        )
    finally:
        await conn.close()
    assert row is not None and row["status"] == "failed" and "HTTP 500" in row["last_error"]


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


async def test_a_batch_is_sent_at_once_and_a_failed_send_is_redone_one_by_one_without_duplicates(
    deps: tuple[NotifyDeps, str], stack: Stack
) -> None:
    notify, base = deps
    events = [assigned(), assigned(), assigned()]
    flaky = NotifyDeps(notify.db, {"slack": FailsOnce(notify.channels["slack"], events[1].data.assignment_id)})
    with pytest.raises(DeliveryError):
        await handle_batch(events, flaky)
    conn = await asyncpg.connect(stack.dsn)
    try:
        ids = [e.data.assignment_id for e in events]
        states = dict(
            await conn.fetch("SELECT assignment_id, status FROM notify.deliveries WHERE assignment_id = ANY($1)", ids)
        )
        for event in events:
            assert await handle(event, flaky) == []
        after = dict(
            await conn.fetch("SELECT assignment_id, status FROM notify.deliveries WHERE assignment_id = ANY($1)", ids)
        )
    finally:
        await conn.close()
    assert [states[i] for i in ids] == ["sent", "sending", "sent"], "sent ones recorded, the failed one in doubt"
    assert [after[i] for i in ids] == ["sent", "sent", "sent"]
    async with httpx.AsyncClient() as http:
        received = (await http.get(f"{base}/_standin/messages")).json()
    for event in events:
        mine = [m for m in received if str(event.data.assignment_id) in str(m["body"])]
        assert len(mine) == 1, "one message per assignment, the failed one sent again exactly once"
