"""Recycling: a lead a rep turns down as not a fit, or an owned lead with no progress for
`routing.recycling.stalled_days`, goes back to nurture with the reason (lead.nurture). It is routed
again when a later score is sales-ready and higher than its score when it was recycled: new
evidence, not the same lead bouncing back. The reps who turned it down as not a fit do not get it
again. Queries and the stalled-lead sweeper; the re-routing itself is in the handler."""

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from aiokafka import AIOKafkaProducer
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from shared import metrics
from shared.backoff import pause
from shared.business.loader import BusinessConfig
from shared.db import Database
from shared.events import LeadNurtureEvent, LeadScoredEvent, follow_event, kafka_headers, serialize_event
from shared.kafka import topic_name
from shared.payloads import Nurture
from shared.settings import BaseServiceSettings
from shared.topics import Topic

log = logging.getLogger(__name__)
BATCH = 50


@dataclass(frozen=True)
class Recycled:
    attempt: int
    score: int
    not_for: frozenset[str]
    """Reps who turned the lead down as not a fit."""


async def recycle(
    session: AsyncSession, cause: LeadScoredEvent, assignment_id: UUID, attempt: int, kind: str, reason: str
) -> LeadNurtureEvent:
    """Mark the assignment recycled, record why and the score to beat, and the lead.nurture event."""
    score = cause.data.total
    await session.execute(
        text("UPDATE route.assignments SET status = 'recycled' WHERE id = :id"), {"id": assignment_id}
    )
    await session.execute(
        text(
            "INSERT INTO route.recycles (lead_id, attempt, reason, kind, score) VALUES (:l, :a, :r, :k, :s)"
            " ON CONFLICT DO NOTHING"
        ),
        {"l": cause.lead_id, "a": attempt, "r": reason, "k": kind, "s": score},
    )
    await session.execute(
        text(
            "INSERT INTO route.nurtured (lead_id, reason, stage, score, cause) VALUES (:l, :r, :st, :s, :c)"
            " ON CONFLICT (lead_id) DO UPDATE SET reason = excluded.reason, stage = excluded.stage,"
            " score = excluded.score, cause = excluded.cause, updated_at = now()"
        ),
        {"l": cause.lead_id, "r": reason, "st": cause.data.stage, "s": score, "c": cause.event_id},
    )
    metrics.RECYCLED.labels(kind).inc()
    return follow_event(
        LeadNurtureEvent,
        cause,
        producer="route",
        data=Nurture(reason=reason, score=score, email=cause.data.lead.email),
        key=f"recycle:{attempt}",
    )


async def recycled(session: AsyncSession, lead_ids: list[UUID]) -> dict[UUID, Recycled]:
    """The latest recycle of each lead, with who turned it down as not a fit."""
    if not lead_ids:
        return {}
    rows = await session.execute(
        text(
            "SELECT DISTINCT ON (r.lead_id) r.lead_id, r.attempt, r.score,"
            " ARRAY(SELECT DISTINCT a.rep_id FROM route.assignments a WHERE a.lead_id = r.lead_id"
            " AND a.rejected_reason = 'not_a_fit' AND a.rep_id IS NOT NULL) AS not_for"
            " FROM route.recycles r WHERE r.lead_id = ANY(:l) ORDER BY r.lead_id, r.attempt DESC"
        ),
        {"l": lead_ids},
    )
    return {r.lead_id: Recycled(r.attempt, r.score, frozenset(r.not_for)) for r in rows}


async def stalled(session: AsyncSession, cutoff: datetime, limit: int) -> list[dict[str, Any]]:
    """Claimed leads (their latest assignment) claimed before `cutoff` with no progress since, and no
    final outcome; locked so one route instance recycles each."""
    rows = await session.execute(
        text(
            "SELECT a.id, a.lead_id, a.attempt, a.rep_id, a.claimed_at, ri.event FROM route.assignments a"
            " JOIN route.routing_inputs ri ON ri.lead_id = a.lead_id"
            " WHERE a.status = 'claimed' AND a.claimed_at < :cutoff"
            " AND NOT EXISTS (SELECT 1 FROM route.assignments b WHERE b.lead_id = a.lead_id AND b.attempt > a.attempt)"
            " AND coalesce((ri.event->'data'->>'progress_at')::timestamptz, '-infinity') < :cutoff"
            " AND coalesce(ri.event->'data'->>'outcome', '') NOT IN ('won', 'lost', 'converted')"
            " ORDER BY a.claimed_at LIMIT :n FOR UPDATE OF a SKIP LOCKED"
        ),
        {"cutoff": cutoff, "n": limit},
    )
    return [dict(r._mapping) for r in rows]


class StalledRecycler:
    """Every `check_seconds`, recycles the owned leads that made no progress for `stalled_days`; each
    lead.nurture is acknowledged by the broker before the recycle commits."""

    def __init__(
        self,
        db: Database,
        config: BusinessConfig,
        producer: AIOKafkaProducer,
        settings: BaseServiceSettings,
        clock: Callable[[], datetime],
    ) -> None:
        self._db, self._config, self._producer, self._clock = db, config, producer, clock
        self._topic = topic_name(settings, Topic.LEAD_NURTURE.value)
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    def readiness(self) -> dict[str, bool]:
        return {}

    async def run(self) -> None:
        policy = self._config.routing.recycling
        while policy.stalled_days is not None and not self._stopping.is_set():
            try:
                done = await self.tick()
            except Exception:
                log.exception("stalled-lead check failed; retrying")
                done = 0
            if done < BATCH:
                await pause(self._stopping, policy.check_seconds)

    async def tick(self) -> int:
        days = self._config.routing.recycling.stalled_days
        if days is None:
            return 0
        cutoff = self._clock() - timedelta(days=days)
        async with self._db.session_scope() as session:
            rows = await stalled(session, cutoff, BATCH)
            for row in rows:
                cause = LeadScoredEvent.model_validate(row["event"])
                reason = f"No progress for {days:g} days since {row['rep_id']} claimed it: back to nurture"
                event = await recycle(session, cause, row["id"], row["attempt"], "stalled", reason)
                await self._producer.send_and_wait(
                    self._topic, serialize_event(event), key=str(event.lead_id).encode(), headers=kafka_headers(event)
                )
                log.info("recycled stalled lead %s", row["lead_id"])
        return len(rows)
