"""Recording deliveries for a batch of alerts: the sendable ones (`queue.enqueue`) and the ones that
cannot be sent at all, each in one statement."""

from dataclasses import dataclass
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from services.notify import queue
from shared import raw_sql
from shared.events import LeadAssignedEvent


@dataclass(frozen=True)
class Unsendable:
    """An alert that cannot be sent at all: its channel is not configured, or the rep has no address."""

    event: LeadAssignedEvent
    channel: str
    reason: str


class DeliveryStore:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def enqueue(self, rows: list[queue.NewDelivery], sender: UUID) -> list[queue.Delivery]:
        return await queue.enqueue(self._s, rows, sender)

    async def fail(self, failures: list[Unsendable]) -> None:
        if not failures:
            return
        await raw_sql.execute(
            self._s,
            "INSERT INTO notify.deliveries (assignment_id, channel, target, status, attempts, last_error,"
            " assignment, lead_id, correlation_id, outcome_at)"
            " SELECT a, c, '', 'failed', 1, e, CAST(p AS jsonb), l, k, now()"
            " FROM unnest(CAST(:a AS uuid[]), CAST(:c AS text[]), CAST(:e AS text[]), CAST(:p AS text[]),"
            " CAST(:l AS uuid[]), CAST(:k AS uuid[])) AS u(a, c, e, p, l, k)"
            " ON CONFLICT (assignment_id, channel) DO NOTHING",
            {
                "a": [f.event.data.assignment_id for f in failures],
                "c": [f.channel for f in failures],
                "e": [f.reason[:2000] for f in failures],
                "p": [f.event.data.model_dump_json() for f in failures],
                "l": [f.event.lead_id for f in failures],
                "k": [f.event.correlation_id for f in failures],
            },
        )
