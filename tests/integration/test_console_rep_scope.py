"""The console's rep scope, on the real read model: a rep reads a lead while it is theirs or after
they claimed it; a lead reassigned away from them before they claimed it is not theirs to read (it
was, on main, for anyone it had ever been assigned to)."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from services.insights import queries
from shared.db import Database, make_engine
from tests.support.stack import Stack


@pytest.fixture
async def read_model(stack: Stack) -> AsyncIterator[Database]:
    db = Database(make_engine(stack.settings().database_url, pool_size=2))
    yield db
    await db.dispose()


async def _lead(db: Database, assignments: list[tuple[int | None, str, bool]]) -> uuid.UUID:
    """A lead with (attempt, rep, claimed) assignments in that order, a minute apart."""
    lead_id, start = uuid.uuid4(), datetime.now(UTC)
    async with db.session_scope() as session:
        await session.execute(
            text("INSERT INTO insights.leads (lead_id, correlation_id, captured_at, name) VALUES (:l, :l, :t, 'x')"),
            {"l": lead_id, "t": start},
        )
        for i, (attempt, rep, claimed) in enumerate(assignments):
            at = start + timedelta(minutes=i)
            await session.execute(
                text(
                    "INSERT INTO insights.assignments (assignment_id, lead_id, attempt, rep_id, assigned_at,"
                    " claimed_at, claimed_by) VALUES (:a, :l, :n, :r, :t, :c, :b)"
                ),
                {
                    "a": uuid.uuid4(),
                    "l": lead_id,
                    "n": attempt,
                    "r": rep,
                    "t": at,
                    "c": at if claimed else None,
                    "b": rep if claimed else None,
                },
            )
    return lead_id


async def test_a_rep_reads_what_is_theirs_or_what_they_claimed(read_model: Database) -> None:
    reassigned = await _lead(read_model, [(1, "alice", False), (2, "bruno", False)])
    claimed_then_moved = await _lead(read_model, [(1, "alice", True), (2, "bruno", False)])
    escalated = await _lead(read_model, [(1, "chen", False), (None, "maya", False)])
    async with read_model.session_scope() as session:
        assert not await queries.owns(session, reassigned, "alice"), "reassigned away before a claim"
        assert await queries.owns(session, reassigned, "bruno")
        assert await queries.owns(session, claimed_then_moved, "alice"), "she claimed it"
        assert await queries.owns(session, escalated, "maya") and not await queries.owns(session, escalated, "chen")
        alice_feed = {r["lead_id"] for r in await queries.live(session, "alice", limit=500)}
        everyone = {r["lead_id"] for r in await queries.live(session, None, limit=500)}
    assert claimed_then_moved in alice_feed and reassigned not in alice_feed
    assert {reassigned, claimed_then_moved, escalated} <= everyone, "ops see every lead"
