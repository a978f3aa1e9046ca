"""Publishes each delivery's outcome as lead.notified: sent (and again when the provider reports a
new status, such as Twilio's `delivered`) or failed for good. A row is marked only after the broker
acknowledged its event, so an outcome is published at least once; its event_id is derived from the
assignment, channel and status, so consumers drop a repeat. Replicas share the rows with SKIP LOCKED."""

import logging
from dataclasses import dataclass
from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from aiokafka import AIOKafkaProducer
from sqlalchemy.ext.asyncio import AsyncSession

from services.notify.channels import is_alert
from shared import raw_sql
from shared.db import Database
from shared.events import LeadNotifiedEvent
from shared.payloads import Notified
from shared.polling import PollingWorker
from shared.publish import Publisher
from shared.settings import BaseServiceSettings

log = logging.getLogger(__name__)
POLL_SECONDS = 1.0


@dataclass(frozen=True)
class OutcomeRow:
    id: int
    lead_id: UUID
    correlation_id: UUID
    assignment_id: UUID
    attempt: int
    rep_id: str
    lead_arrived_at: datetime | None
    channel: str
    status: str
    at: datetime
    tries: int
    external_id: str | None
    provider_status: str | None
    error: str | None


def outcome_event(row: OutcomeRow) -> LeadNotifiedEvent:
    key = f"lead.notified:{row.assignment_id}:{row.channel}:{row.status}:{row.provider_status or ''}"
    return LeadNotifiedEvent(
        event_id=uuid5(NAMESPACE_URL, key),
        occurred_at=row.at,
        lead_id=row.lead_id,
        correlation_id=row.correlation_id,
        producer="notify",
        origin_at=row.lead_arrived_at,
        data=Notified(
            assignment_id=row.assignment_id,
            attempt=row.attempt,
            rep_id=row.rep_id,
            channel=row.channel,
            status=row.status,
            at=row.at,
            tries=row.tries,
            external_id=row.external_id,
            provider_status=row.provider_status,
            error=row.error,
            alert=is_alert(row.channel),
        ),
    )


async def lock_unpublished(session: AsyncSession, limit: int) -> list[OutcomeRow]:
    """The four fields of the stored assignment an outcome names are read out by PostgreSQL: the
    whole assignment was validated when it was queued, so it is not validated again per outcome."""
    result = await raw_sql.fetch(
        session,
        "SELECT id, lead_id, correlation_id, (assignment->>'assignment_id')::uuid AS assignment_id,"
        " (assignment->>'attempt')::int AS attempt, assignment->'rep'->>'id' AS rep_id,"
        " (assignment->>'lead_arrived_at')::timestamptz AS lead_arrived_at, channel, status,"
        " coalesce(outcome_at, sent_at, now()) AS at, attempts, external_id, provider_status, last_error"
        " FROM notify.deliveries"
        " WHERE outcome_published_at IS NULL AND status IN ('sent', 'failed') AND lead_id IS NOT NULL"
        " AND assignment IS NOT NULL ORDER BY id LIMIT :n FOR UPDATE SKIP LOCKED",
        {"n": limit},
    )
    return [
        OutcomeRow(
            r.id,
            r.lead_id,
            r.correlation_id,
            r.assignment_id,
            r.attempt,
            r.rep_id,
            r.lead_arrived_at,
            r.channel,
            r.status,
            r.at,
            r.attempts,
            r.external_id,
            r.provider_status,
            r.last_error,
        )
        for r in result
    ]


async def mark_published(session: AsyncSession, ids: list[int]) -> None:
    await raw_sql.execute(
        session, "UPDATE notify.deliveries SET outcome_published_at = now() WHERE id = ANY(:ids)", {"ids": ids}
    )


class OutcomePublisher(PollingWorker):
    """Woken (`wake`) as soon as outcomes are stored; looks again every second in any case."""

    idle_seconds = POLL_SECONDS

    def __init__(
        self, db: Database, producer: AIOKafkaProducer, settings: BaseServiceSettings, batch: int = 200
    ) -> None:
        super().__init__()
        self._db, self._batch = db, batch
        self._publisher = Publisher(producer, settings)

    async def tick(self) -> bool:
        return await self.publish_batch() >= self._batch

    async def publish_batch(self) -> int:
        async with self._db.session_scope() as session:
            rows = await lock_unpublished(session, self._batch)
            if not rows:
                return 0
            await self._publisher.publish([outcome_event(row) for row in rows])
            await mark_published(session, [r.id for r in rows])
        return len(rows)
