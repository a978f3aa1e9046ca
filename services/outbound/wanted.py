"""The event types any subscription wants (enabled or not: a disabled one gets its deliveries once
enabled), kept in memory so that an event nobody wants costs outbound no database work. Dropped on
every NOTIFY outbound_subscriptions (any replica's change, migration 0021) and on this replica's own
changes. Trusted only while the listener is up: otherwise, or when a change lands while the types
are being read, `current()` answers None and the enqueue's own join decides."""

from collections.abc import Callable

from services.outbound import store
from shared.db import Database

CHANNEL = "outbound_subscriptions"


class WantedTypes:
    def __init__(self, db: Database, listening: Callable[[], bool]) -> None:
        self._db = db
        self._listening = listening
        self._types: frozenset[str] | None = None
        self._generation = 0

    def invalidate(self) -> None:
        self._generation += 1
        self._types = None

    async def current(self) -> frozenset[str] | None:
        if not self._listening():
            return None
        if self._types is not None:
            return self._types
        generation = self._generation
        async with self._db.session_scope() as session:
            types = await store.wanted_types(session)
        if generation != self._generation or not self._listening():
            return None
        self._types = types
        return types
