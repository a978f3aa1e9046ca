"""SLA clocks. Every assignment carries a claim deadline in PostgreSQL, so clocks survive restarts
and any route instance can fire them (SKIP LOCKED shares the due ones). When a deadline passes
unclaimed, the lead goes to the next eligible rep who has not had it, up to `max_attempts`, then to
the pool's manager. Held leads (nobody could take them) are retried the same way."""

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from services.route.engine import escalate
from services.route.routing import HELD_RETRY, decide_locked, record
from services.route.store.rows import AssignmentRow
from services.route.uow import RouteUnitOfWork
from shared import metrics
from shared.business.loader import BusinessConfig
from shared.events import LeadAssignedEvent, LeadScoredEvent
from shared.polling import PollingWorker

log = logging.getLogger(__name__)
BATCH = 20
POLL_SECONDS = 0.2


async def fire_due(uow: RouteUnitOfWork, config: BusinessConfig, now: datetime, limit: int = BATCH) -> int:
    """Fire the clocks due at `now` (at most `limit`); their new assignments are published through
    the unit of work, so they are acknowledged before it commits and a crash fires them again rather
    than losing a reassignment. Returns how many were due."""
    due = await uow.assignments.lock_due(now, limit)
    for row in due:
        event = await _fire_one(uow, config, row, now)
        if event is not None:
            uow.publish(event)
    return len(due)


async def _fire_one(
    uow: RouteUnitOfWork, config: BusinessConfig, row: AssignmentRow, now: datetime
) -> LeadAssignedEvent | None:
    """One clock, in a savepoint: a clock that cannot fire is put off a minute (and logged) instead
    of holding back every other due clock."""
    try:
        async with uow.savepoint():
            return await _fire(uow, config, row, now)
    except Exception:
        log.exception("SLA clock for assignment %s (lead %s) cannot fire; retrying in a minute", row.id, row.lead_id)
        await uow.assignments.postpone(row.id, now + HELD_RETRY)
        return None


async def _fire(
    uow: RouteUnitOfWork, config: BusinessConfig, row: AssignmentRow, now: datetime
) -> LeadAssignedEvent | None:
    await uow.leads.lock([row.lead_id])
    raw = await uow.leads.routing_input(row.lead_id)
    latest = (await uow.assignments.latest([row.lead_id])).get(row.lead_id)
    if raw is None or latest is None or latest.id != row.id:
        await uow.assignments.set_status(row.id, "superseded")
        return None
    cause = LeadScoredEvent.model_validate(raw)
    had = await uow.assignments.reps_who_had(row.lead_id)
    if row.status == "held":
        decision = await decide_locked(uow, config, cause.data, now, had)
        if decision.outcome == "held":
            await uow.assignments.postpone(row.id, now + HELD_RETRY)
            return None
        await uow.assignments.set_status(row.id, "retried")
    else:
        await uow.assignments.set_status(row.id, "expired")
        metrics.SLA_BREACHES.labels(row.pool_id).inc()
        tries = await uow.assignments.assigned_attempts(row.lead_id)
        missed = f"{row.rep_id} did not claim in time (attempt {row.attempt})"
        if tries >= config.routing.sla.max_attempts:
            decision = escalate(config, row.pool_id, f"SLA missed {tries} times: {missed}", [missed])
        else:
            decision = await decide_locked(uow, config, cause.data, now, had)
            decision = replace(
                decision, reason=f"Reassigned, {missed}: {decision.reason}", trace=[missed, *decision.trace]
            )
    log.info("SLA fired for lead %s: %s", row.lead_id, decision.reason)
    return await record(uow, config, cause.data, cause, decision, now, attempt=latest.attempt + 1)


class SlaClock(PollingWorker):
    idle_seconds = POLL_SECONDS

    def __init__(
        self, uow: Callable[[], RouteUnitOfWork], config: BusinessConfig, clock: Callable[[], datetime]
    ) -> None:
        super().__init__()
        self._uow, self._config, self._clock = uow, config, clock

    async def tick(self) -> bool:
        async with self._uow() as uow:
            return await fire_due(uow, self._config, self._clock()) >= BATCH
