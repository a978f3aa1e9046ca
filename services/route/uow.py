"""route's unit of work: the port its cores (the batch handler, the SLA clock, the stalled-lead
recycler, claims and rejections) are written against, and its PostgreSQL adapter. The protocols
list what the cores use; `tests/support/fake_route_uow.py` implements them in memory, so routing
decisions that span several batches are unit-tested without a database."""

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from services.route.state import ExistingOwner, Snapshot, StateChange
from services.route.store.assignments import AssignmentStore
from services.route.store.leads import LeadStore
from services.route.store.pools import PoolStore
from services.route.store.rows import AssignmentRow, ClaimResult, NewAssignment, NurtureRecord, Recycled, Rejected
from shared.business.loader import BusinessConfig
from shared.db import Database
from shared.uow import PublishAll, SqlUnitOfWork, UnitOfWork


class LeadRepository(Protocol):
    async def lock(self, lead_ids: list[UUID]) -> None: ...
    async def save_inputs(self, inputs: dict[UUID, dict[str, Any]]) -> None: ...
    async def routing_input(self, lead_id: UUID) -> dict[str, Any] | None: ...
    async def nurtured(self, lead_ids: list[UUID]) -> dict[UUID, NurtureRecord]: ...
    async def save_nurtured(self, records: list[NurtureRecord]) -> None: ...
    async def recycled(self, lead_ids: list[UUID]) -> dict[UUID, Recycled]: ...
    async def add_recycle(self, lead_id: UUID, attempt: int, reason: str, kind: str, score: int) -> None: ...
    async def stalled(self, cutoff: datetime, limit: int) -> list[dict[str, Any]]: ...
    async def use_claim_link(self, token_sha256: str, assignment_id: UUID) -> bool: ...


class AssignmentRepository(Protocol):
    async def add(self, rows: list[NewAssignment]) -> None: ...
    async def latest(self, lead_ids: list[UUID]) -> dict[UUID, AssignmentRow]: ...
    async def reps_who_had(self, lead_id: UUID) -> frozenset[str]: ...
    async def assigned_attempts(self, lead_id: UUID) -> int: ...
    async def set_status(self, assignment_id: UUID, status: str) -> None: ...
    async def postpone(self, assignment_id: UUID, until: datetime) -> None: ...
    async def lock_due(self, now: datetime, limit: int) -> list[AssignmentRow]: ...
    async def open_owners(self, leads: list[tuple[UUID, str | None, str | None]]) -> dict[UUID, ExistingOwner]: ...
    async def claim(self, assignment_id: UUID, rep_id: str, managed_pools: list[str]) -> ClaimResult: ...
    async def reject(self, assignment_id: UUID, rep_id: str, reason: str) -> Rejected | None: ...


class PoolRepository(Protocol):
    async def snapshot(
        self,
        config: BusinessConfig,
        pool_ids: Iterable[str],
        now: datetime,
        domains: Iterable[str],
        *,
        lock: bool,
        extra_reps: Iterable[str] = (),
    ) -> Snapshot: ...
    async def apply_change(self, change: StateChange) -> None: ...
    async def save_fairness(self, before: Snapshot, after: Snapshot) -> None: ...
    async def give_back_turn(self, pool_id: str, rep_id: str, debit: int) -> None: ...


class RouteUnitOfWork(UnitOfWork, Protocol):
    leads: LeadRepository
    assignments: AssignmentRepository
    pools: PoolRepository


class SqlRouteUnitOfWork(SqlUnitOfWork):
    leads: LeadRepository
    assignments: AssignmentRepository
    pools: PoolRepository

    def bind(self, session: AsyncSession) -> None:
        self.leads = LeadStore(session)
        self.assignments = AssignmentStore(session)
        self.pools = PoolStore(session)


def sql_unit_of_work(db: Database, publish_all: PublishAll | None) -> Callable[[], RouteUnitOfWork]:
    return lambda: SqlRouteUnitOfWork(db, publish_all)
