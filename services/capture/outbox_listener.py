"""Wakes the outbox relay when any capture replica commits outbox rows: LISTEN capture_outbox on a
dedicated connection (the trigger in migration 0009 sends the NOTIFY at commit). If the connection
drops (a PostgreSQL restart), the relay still polls while this reconnects."""

import asyncio
import logging

import asyncpg
from sqlalchemy.engine import make_url

from shared.backoff import Backoff

CHANNEL = "capture_outbox"
log = logging.getLogger(__name__)


def asyncpg_dsn(database_url: str) -> str:
    """The SQLAlchemy URL (`postgresql+asyncpg://…`) as a plain libpq DSN for asyncpg.connect."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


class OutboxListener:
    def __init__(self, database_url: str, wake: asyncio.Event) -> None:
        self._dsn = asyncpg_dsn(database_url)
        self._wake = wake
        self._stopping = asyncio.Event()
        self.listening = False

    def stop(self) -> None:
        self._stopping.set()

    def readiness(self) -> dict[str, bool]:
        return {}

    def _notified(self, *_: object) -> None:
        self._wake.set()

    async def run(self) -> None:
        backoff = Backoff("outbox_listen", initial=0.5, cap=10.0)
        while not self._stopping.is_set():
            try:
                conn = await asyncpg.connect(self._dsn, timeout=5)
            except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
                log.warning("outbox listener cannot connect (%r); relay polls meanwhile", exc)
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
        await conn.add_listener(CHANNEL, self._notified)
        self.listening = True
        self._wake.set()
        stopping = asyncio.create_task(self._stopping.wait())
        dropped = asyncio.create_task(lost.wait())
        await asyncio.wait({stopping, dropped}, return_when=asyncio.FIRST_COMPLETED)
        for task in (stopping, dropped):
            task.cancel()
        if lost.is_set():
            log.warning("outbox listener lost its connection; reconnecting")

    async def _sleep(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._stopping.wait(), seconds)
        except TimeoutError:
            pass
