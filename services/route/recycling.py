"""Recycling: a lead a rep turns down as not a fit, or an owned lead with no progress for
`routing.recycling.stalled_days`, goes back to nurture with the reason (lead.nurture). It is routed
again when a later score is sales-ready and higher than its score when it was recycled: new
evidence, not the same lead bouncing back. The reps who turned it down as not a fit do not get it
again. The recycle itself and the stalled-lead sweeper; the re-routing is in the handler."""

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from uuid import UUID

from services.route.store.rows import NurtureRecord
from services.route.uow import RouteUnitOfWork
from shared import metrics
from shared.business.loader import BusinessConfig
from shared.events import LeadNurtureEvent, LeadScoredEvent, follow_event
from shared.live_config import LiveConfig
from shared.payloads import Nurture
from shared.polling import PollingWorker

log = logging.getLogger(__name__)
BATCH = 50


async def recycle(
    uow: RouteUnitOfWork, cause: LeadScoredEvent, assignment_id: UUID, attempt: int, kind: str, reason: str
) -> LeadNurtureEvent:
    """Mark the assignment recycled, record why and the score to beat, and publish lead.nurture."""
    score = cause.data.total
    await uow.assignments.set_status(assignment_id, "recycled")
    await uow.leads.add_recycle(cause.lead_id, attempt, reason, kind, score)
    await uow.leads.save_nurtured([NurtureRecord(cause.lead_id, reason, cause.data.stage, score, cause.event_id)])
    metrics.RECYCLED.labels(kind).inc()
    event = follow_event(
        LeadNurtureEvent,
        cause,
        producer="route",
        data=Nurture(reason=reason, score=score, email=cause.data.lead.email),
        key=f"recycle:{attempt}",
    )
    uow.publish(event)
    return event


async def recycle_stalled(uow: RouteUnitOfWork, config: BusinessConfig, now: datetime, limit: int = BATCH) -> int:
    """Recycle the owned leads with no progress for `stalled_days`; returns how many."""
    days = config.routing.recycling.stalled_days
    if days is None:
        return 0
    rows = await uow.leads.stalled(now - timedelta(days=days), limit)
    for row in rows:
        cause = LeadScoredEvent.model_validate(row["event"])
        reason = f"No progress for {days:g} days since {row['rep_id']} claimed it: back to nurture"
        await recycle(uow, cause, row["id"], row["attempt"], "stalled", reason)
        log.info("recycled stalled lead %s", row["lead_id"])
    return len(rows)


class StalledRecycler(PollingWorker):
    """Every `check_seconds`, recycles the owned leads that made no progress for `stalled_days`; each
    lead.nurture is acknowledged by the broker before the recycle commits."""

    def __init__(self, uow: Callable[[], RouteUnitOfWork], live: LiveConfig, clock: Callable[[], datetime]) -> None:
        super().__init__()
        self._uow, self._live, self._clock = uow, live, clock
        self.idle_seconds = live.base.routing.recycling.check_seconds

    async def tick(self) -> bool:
        """A version without `stalled_days` turns it off, one that sets them turns it on."""
        async with self._live.use() as applied, self._uow() as uow:
            if applied.config.routing.recycling.stalled_days is None:
                return False
            return await recycle_stalled(uow, applied.config, self._clock()) >= BATCH
