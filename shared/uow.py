"""The unit of work (cosmicpython, chapters 6 and 8): one transaction, the repositories bound to it,
and the events the work decided to publish.

One difference from the book, on purpose: `publish` does not wait for the commit. The collected
events are sent and acknowledged by the broker *before* the transaction commits, so a crash between
the two re-does the work and sends the events again (their ids are derived from their cause, so
consumers drop the repeat) instead of committing work whose events were never sent. That gives
at-least-once without an outbox table; capture, whose input is an HTTP request that cannot be
re-done, writes its events to an outbox instead."""

from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from types import TracebackType
from typing import Protocol, Self

from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import Database
from shared.events import EnvelopeBase

PublishAll = Callable[[Sequence[EnvelopeBase]], Awaitable[None]]


class UnitOfWork(Protocol):
    """What a stage core or worker tick sees: repositories (declared by each service's own port),
    `publish`, and a block that commits on success and rolls back on any exception."""

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    def publish(self, event: EnvelopeBase) -> None: ...

    def savepoint(self) -> AbstractAsyncContextManager[object]:
        """A part of the work that can fail alone: its changes are undone, the rest go on."""
        ...


class SqlUnitOfWork:
    """The PostgreSQL unit of work: `bind(session)` builds the service's repositories."""

    def __init__(self, db: Database, publish_all: PublishAll | None = None) -> None:
        self._db = db
        self._publish_all = publish_all
        self._scope: AbstractAsyncContextManager[AsyncSession] | None = None
        self.events: list[EnvelopeBase] = []
        self.session: AsyncSession

    def bind(self, session: AsyncSession) -> None:
        """Build the repositories over `session`; each service's unit of work overrides it."""

    def publish(self, event: EnvelopeBase) -> None:
        self.events.append(event)

    def savepoint(self) -> AbstractAsyncContextManager[object]:
        return self.session.begin_nested()

    async def __aenter__(self) -> Self:
        self.events = []
        self._scope = self._db.session_scope()
        self.session = await self._scope.__aenter__()
        self.bind(self.session)
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._scope is not None
        scope, self._scope = self._scope, None
        if exc is None and self.events:
            if self._publish_all is None:
                raise RuntimeError("this unit of work has no publisher, yet events were published")
            try:
                await self._publish_all(self.events)
            except BaseException as failed:
                await scope.__aexit__(type(failed), failed, failed.__traceback__)
                raise
        await scope.__aexit__(kind, exc, tb)
