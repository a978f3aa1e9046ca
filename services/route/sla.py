"""SLA clocks. Every assignment carries a claim deadline in PostgreSQL, so clocks survive restarts
and any route instance can fire them (SKIP LOCKED shares the due ones). When a deadline passes
unclaimed, the lead goes to the next eligible rep who has not had it, up to `max_attempts`, then to
the pool's manager. Held leads (nobody could take them) are retried the same way.

The due clocks of a tick fire together, as the batch handler routes: one statement per table for
the whole tick, each decision made in memory against the snapshot the previous ones left. Should
that fail, they fire one by one, each in a savepoint, and a clock that cannot fire is put off a
minute instead of holding back the others."""

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from uuid import UUID

from services.route.engine import Decision, apply, decide, escalate
from services.route.routing import HELD_RETRY, build, decide_locked, lead_domains, pools_in_play, record
from services.route.state import Snapshot
from services.route.store.rows import AssignmentRow
from services.route.uow import RouteUnitOfWork
from shared import metrics
from shared.business.loader import BusinessConfig
from shared.events import LeadAssignedEvent, LeadScoredEvent
from shared.live_config import LiveConfig
from shared.polling import PollingWorker

log = logging.getLogger(__name__)
BATCH = 20
POLL_SECONDS = 0.2


async def fire_due(uow: RouteUnitOfWork, config: BusinessConfig, now: datetime, limit: int = BATCH) -> int:
    """Fire the clocks due at `now` (at most `limit`); their new assignments are published through
    the unit of work, so they are acknowledged before it commits and a crash fires them again rather
    than losing a reassignment. Returns how many were due."""
    due = await uow.assignments.lock_due(now, limit)
    if not due:
        return 0
    try:
        async with uow.savepoint():
            events = await _fire_together(uow, config, due, now)
    except Exception:
        log.exception("%d SLA clocks could not fire together; one by one", len(due))
        events = [e for row in due if (e := await _fire_one(uow, config, row, now)) is not None]
    for event in events:
        uow.publish(event)
    return len(due)


async def _fire_together(
    uow: RouteUnitOfWork, config: BusinessConfig, due: list[AssignmentRow], now: datetime
) -> list[LeadAssignedEvent]:
    leads = sorted({row.lead_id for row in due})
    await uow.leads.lock(leads)
    inputs = await uow.leads.routing_inputs(leads)
    latest = await uow.assignments.latest(leads)
    past = await uow.assignments.past(leads)
    ended: dict[UUID, str] = {}
    firing: list[tuple[AssignmentRow, LeadScoredEvent, int]] = []
    for row in due:
        current = latest.get(row.lead_id)
        if row.lead_id not in inputs or current is None or current.id != row.id:
            ended[row.id] = "superseded"
            continue
        firing.append((row, LeadScoredEvent.model_validate(inputs[row.lead_id]), current.attempt))
        if row.status != "held":
            ended[row.id] = "expired"
    await uow.assignments.set_statuses(ended)
    pools = sorted({p for _, cause, _ in firing for p in pools_in_play(config, cause.data)})
    domains = sorted({d for _, cause, _ in firing for d in lead_domains(cause.data)})
    before = after = await uow.pools.snapshot(config, pools, now, domains, lock=True)
    retried: dict[UUID, str] = {}
    later: dict[UUID, datetime] = {}
    rows, events = [], []
    for row, cause, attempt in firing:
        had, tries = past.get(row.lead_id, (frozenset(), 0))
        if row.status == "held":
            decision = decide(config, cause.data, after, now, already_had=had, check_stage=False)
            if decision.outcome == "held":
                later[row.id] = now + HELD_RETRY
                continue
            retried[row.id] = "retried"
        else:
            decision = _after_a_miss(config, row, cause, after, now, had, tries)
        log.info("SLA fired for lead %s: %s", row.lead_id, decision.reason)
        after = apply(after, decision, now)
        recorded = build(config, cause.data, cause, decision, now, attempt=attempt + 1)
        rows.append(recorded.row)
        if recorded.event is not None:
            events.append(recorded.event)
    await uow.assignments.set_statuses(retried)
    await uow.assignments.postpone_all(later)
    await uow.assignments.add(rows)
    await uow.pools.save_fairness(before, after)
    return events


def _after_a_miss(
    config: BusinessConfig,
    row: AssignmentRow,
    cause: LeadScoredEvent,
    snap: Snapshot,
    now: datetime,
    had: frozenset[str],
    tries: int,
) -> Decision:
    """The next rep who has not had the lead, or the manager once `max_attempts` are spent."""
    metrics.SLA_BREACHES.labels(row.pool_id).inc()
    missed = f"{row.rep_id} did not claim in time (attempt {row.attempt})"
    if tries >= config.routing.sla.max_attempts:
        return escalate(config, row.pool_id, f"SLA missed {tries} times: {missed}", [missed])
    decision = decide(config, cause.data, snap, now, already_had=had, check_stage=False)
    return replace(decision, reason=f"Reassigned, {missed}: {decision.reason}", trace=[missed, *decision.trace])


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

    def __init__(self, uow: Callable[[], RouteUnitOfWork], live: LiveConfig, clock: Callable[[], datetime]) -> None:
        super().__init__()
        self._uow, self._live, self._clock = uow, live, clock

    async def tick(self) -> bool:
        async with self._live.use() as applied, self._uow() as uow:
            return await fire_due(uow, applied.config, self._clock()) >= BATCH
