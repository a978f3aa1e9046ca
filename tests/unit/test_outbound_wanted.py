"""outbound's stage touches no database for a batch whose event types no subscription wants, and
asks the database (the enqueue's join) whenever the wanted types are not known for sure."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from services.outbound.handler import OutboundDeps, handle_batch
from tests.unit.factories import captured


class CountingDb:
    """Stands in for the database: counts sessions, and runs no SQL (a session that executes fails)."""

    def __init__(self) -> None:
        self.sessions = 0

    @asynccontextmanager
    async def session_scope(self) -> AsyncIterator[Any]:
        self.sessions += 1
        yield Refusing()


class Refusing:
    async def execute(self, *_: object, **__: object) -> Any:
        raise AssertionError("no SQL expected")


def deps(db: CountingDb, wanted: frozenset[str] | None) -> OutboundDeps:
    async def current() -> frozenset[str] | None:
        return wanted

    return OutboundDeps(db, lambda: None, current)  # type: ignore[arg-type]


async def test_events_nobody_wants_touch_no_database() -> None:
    db = CountingDb()
    answers = await handle_batch(
        [captured(email="a@initech.com"), captured(email="b@initech.com")], deps(db, frozenset({"assigned"}))
    )
    assert answers == [[], []]
    assert db.sessions == 0


async def test_unknown_wanted_types_go_to_the_database() -> None:
    db = CountingDb()
    try:
        await handle_batch([captured(email="a@initech.com")], deps(db, None))
    except AssertionError as refused:
        assert "no SQL expected" in str(refused)
    assert db.sessions == 1, "with the listener down, the enqueue's join decides"
