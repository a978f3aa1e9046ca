"""notify's handler against real PostgreSQL and the Slack stand-in: one message per assignment."""

import uuid
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest

from services.notify.channels.base import DeliveryError
from services.notify.channels.slack import SlackChannel
from services.notify.handler import NotifyDeps, handle
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
