"""Async SQLAlchemy engine and the one scope that owns commit and rollback."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine


def make_engine(url: str, pool_size: int = 10) -> AsyncEngine:
    """`hide_parameters`: a failed statement is logged without its values (emails, names, tokens).
    No `pool_pre_ping`: it costs a round trip on every checkout. A connection that died with a
    database restart fails its first statement, is invalidated by SQLAlchemy, and the request gets
    503 (intake) or the message is retried (stages); the next checkout connects afresh."""
    return create_async_engine(url, pool_size=pool_size, max_overflow=10, hide_parameters=True)


_shared: ContextVar[AsyncSession | None] = ContextVar("shared_session", default=None)


class Database:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)

    @asynccontextmanager
    async def session_scope(self) -> AsyncIterator[AsyncSession]:
        """One transaction: committed when the block ends normally, rolled back on any exception.
        Inside `shared_transaction()` it is that transaction, committed when the shared one is."""
        shared = _shared.get()
        if shared is not None:
            yield shared
            return
        async with self._sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def shared_transaction(self) -> AsyncIterator[AsyncSession]:
        """One transaction for everything this task does with `session_scope()` inside the block: a
        stage's batch of messages then costs one BEGIN and one COMMIT instead of one per message."""
        async with self._sessions() as session, session.begin():
            token = _shared.set(session)
            try:
                yield session
            finally:
                _shared.reset(token)

    async def reachable(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    async def dispose(self) -> None:
        await self.engine.dispose()
