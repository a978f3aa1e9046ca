"""insights' unit of work: the read model's repository in one transaction."""

from collections.abc import Sequence
from typing import Protocol
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from services.insights.changes import Changes
from services.insights.read_model_store import ReadModelStore
from shared.uow import SqlUnitOfWork, UnitOfWork


class ReadModelRepository(Protocol):
    async def lock(self, leads: Sequence[UUID]) -> None: ...
    async def apply(self, changes: Changes) -> None: ...


class InsightsUnitOfWork(UnitOfWork, Protocol):
    read_model: ReadModelRepository


class SqlInsightsUnitOfWork(SqlUnitOfWork):
    read_model: ReadModelRepository

    def bind(self, session: AsyncSession) -> None:
        self.read_model = ReadModelStore(session)
