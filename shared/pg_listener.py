"""LISTEN on one PostgreSQL channel over a dedicated asyncpg connection, calling `notified` for each
NOTIFY (sent by a trigger, delivered at commit). `listening` says whether notifications can arrive:
while the connection is down (a PostgreSQL restart) they cannot, and it reconnects with backoff.
`notified` is also called on every (re)connect, since whatever was announced meanwhile was missed."""

import asyncio
import logging
from collections.abc import Callable

import asyncpg
from sqlalchemy.engine import make_url

from shared.backoff import Backoff

log = logging.getLogger(__name__)


def asyncpg_dsn(database_url: str) -> str:
    """The SQLAlchemy URL (`postgresql+asyncpg://…`) as a plain libpq DSN for asyncpg.connect."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


class PgListener:
    def __init__(self, database_url: str, channel: str, notified: Callable[[], None]) -> None:
        self._dsn = asyncpg_dsn(database_url)
        self._channel = channel
        self._notified = notified
        self._stopping = asyncio.Event()
        self.listening = False

    def stop(self) -> None:
        self._stopping.set()

    def readiness(self) -> dict[str, bool]:
        return {}

    def _on_notify(self, *_: object) -> None:
        self._notified()

    async def run(self) -> None:
        backoff = Backoff(f"{self._channel}_listen", initial=0.5, cap=10.0)
        while not self._stopping.is_set():
            try:
                conn = await asyncpg.connect(self._dsn, timeout=5)
            except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
                log.warning("LISTEN %s cannot connect (%r); retrying", self._channel, exc)
                await backoff.wait(self._stopping)
                continue
            backoff.reset()
            try:
                await self._listen(conn)
            finally:
                self.listening = False
                await conn.close(timeout=2)

    async def _listen(self, conn: asyncpg.Connection) -> None:
        lost = asyncio.Event()
        conn.add_termination_listener(lambda _c: lost.set())
        await conn.add_listener(self._channel, self._on_notify)
        self.listening = True
        self._notified()
        stopping = asyncio.create_task(self._stopping.wait())
        dropped = asyncio.create_task(lost.wait())
        await asyncio.wait({stopping, dropped}, return_when=asyncio.FIRST_COMPLETED)
        for task in (stopping, dropped):
            task.cancel()
        if lost.is_set():
            log.warning("LISTEN %s lost its connection; reconnecting", self._channel)
