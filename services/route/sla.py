"""SLA clocks. Every assignment carries a claim deadline in PostgreSQL, so clocks survive restarts
and any route instance can fire them (SKIP LOCKED shares the due ones). When a deadline passes
unclaimed, the lead goes to the next eligible rep who has not had it, up to `max_attempts`, then to
the pool's manager. Held leads (nobody could take them) are retried the same way."""

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from aiokafka import AIOKafkaProducer
from sqlalchemy.ext.asyncio import AsyncSession

from services.route import repository
from services.route.engine import escalate
from services.route.repository import AssignmentRow
from services.route.routing import HELD_RETRY, decide_locked, record
from shared import metrics
from shared.backoff import pause
from shared.business.loader import BusinessConfig
from shared.db import Database
from shared.events import LeadAssignedEvent, LeadScoredEvent, kafka_headers, serialize_event
from shared.kafka import topic_name
from shared.settings import BaseServiceSettings
from shared.topics import Topic

log = logging.getLogger(__name__)
BATCH = 20
POLL_SECONDS = 0.2


class SlaClock:
    def __init__(
        self,
        db: Database,
        config: BusinessConfig,
        producer: AIOKafkaProducer,
        settings: BaseServiceSettings,
        clock: Callable[[], datetime],
    ) -> None:
        self._db = db
        self._config = config
        self._producer = producer
        self._topic = topic_name(settings, Topic.LEAD_ASSIGNED.value)
        self._clock = clock
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    def readiness(self) -> dict[str, bool]:
        return {}

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                fired = await self.tick()
            except Exception:
                log.exception("SLA tick failed; retrying")
                fired = 0
                await self._sleep(1.0)
            if fired < BATCH:
                await self._sleep(POLL_SECONDS)

    async def tick(self) -> int:
        """Fire the due clocks in one transaction; their new assignments are published (and acked)
        before it commits, so a crash fires them again rather than losing a reassignment."""
        now = self._clock()
        async with self._db.session_scope() as session:
            due = await repository.lock_due(session, now, BATCH)
            events = [e for row in due if (e := await self._fire_one(session, row, now)) is not None]
            for event in events:
                await self._producer.send_and_wait(
                    self._topic, serialize_event(event), key=str(event.lead_id).encode(), headers=kafka_headers(event)
                )
        return len(due)

    async def _fire_one(self, session: AsyncSession, row: AssignmentRow, now: datetime) -> LeadAssignedEvent | None:
        """One clock, in a savepoint: a clock that cannot fire is put off a minute (and logged) instead
        of holding back every other due clock."""
        try:
            async with session.begin_nested():
                return await self._fire(session, row, now)
        except Exception:
            log.exception(
                "SLA clock for assignment %s (lead %s) cannot fire; retrying in a minute", row.id, row.lead_id
            )
            await repository.postpone(session, row.id, now + HELD_RETRY)
            return None

    async def _fire(self, session: AsyncSession, row: AssignmentRow, now: datetime) -> LeadAssignedEvent | None:
        await repository.lock_lead(session, row.lead_id)
        raw = await repository.routing_input(session, row.lead_id)
        latest = await repository.latest_assignment(session, row.lead_id)
        if raw is None or latest is None or latest.id != row.id:
            await repository.set_status(session, row.id, "superseded")
            return None
        cause = LeadScoredEvent.model_validate(raw)
        had = await repository.reps_who_had(session, row.lead_id)
        if row.status == "held":
            decision = await decide_locked(session, self._config, cause.data, now, had)
            if decision.outcome == "held":
                await repository.postpone(session, row.id, now + HELD_RETRY)
                return None
            await repository.set_status(session, row.id, "retried")
        else:
            await repository.set_status(session, row.id, "expired")
            metrics.SLA_BREACHES.labels(row.pool_id).inc()
            tries = await repository.assigned_attempts(session, row.lead_id)
            missed = f"{row.rep_id} did not claim in time (attempt {row.attempt})"
            if tries >= self._config.routing.sla.max_attempts:
                decision = escalate(self._config, row.pool_id, f"SLA missed {tries} times: {missed}", [missed])
            else:
                decision = await decide_locked(session, self._config, cause.data, now, had)
                decision = decision.__class__(
                    **{
                        **decision.__dict__,
                        "reason": f"Reassigned, {missed}: {decision.reason}",
                        "trace": [missed, *decision.trace],
                    }
                )
        log.info("SLA fired for lead %s: %s", row.lead_id, decision.reason)
        return await record(session, self._config, cause.data, cause, decision, now, attempt=latest.attempt + 1)

    async def _sleep(self, seconds: float) -> None:
        await pause(self._stopping, seconds)
