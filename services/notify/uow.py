"""notify's unit of work: the port its batch handler is written against, and its PostgreSQL
adapter (`tests/support/fake_notify_uow.py` is the in-memory one)."""

from datetime import datetime
from typing import Protocol
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from services.notify.delivery_store import DeliveryStore, Unsendable
from services.notify.digest_store import DigestStore
from services.notify.digests import Escalation
from services.notify.queue import Delivery, NewDelivery
from shared.business.notifications import EscalationDigest
from shared.uow import SqlUnitOfWork, UnitOfWork


class DeliveryRepository(Protocol):
    async def enqueue(self, rows: list[NewDelivery], sender: UUID) -> list[Delivery]: ...
    async def fail(self, failures: list[Unsendable]) -> None: ...


class DigestRepository(Protocol):
    async def admit(
        self, escalations: list[Escalation], policy: EscalationDigest, now: datetime
    ) -> list[Escalation]: ...
    async def mark_claimed(
        self, claims: list[tuple[UUID, str, datetime]], policy: EscalationDigest, now: datetime
    ) -> None: ...


class NotifyUnitOfWork(UnitOfWork, Protocol):
    deliveries: DeliveryRepository
    digests: DigestRepository


class SqlNotifyUnitOfWork(SqlUnitOfWork):
    deliveries: DeliveryRepository
    digests: DigestRepository

    def bind(self, session: AsyncSession) -> None:
        self.deliveries = DeliveryStore(session)
        self.digests = DigestStore(session)
