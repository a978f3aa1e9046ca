"""lead.enriched and lead.activity -> lead.scored, emitted only when fit, intent, total, grade or
stage changed. State (the lead, its activities, its last result) lives in the `score` schema."""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid5

from sqlalchemy.ext.asyncio import AsyncSession

from services.score import repository
from services.score.engine import score_lead
from shared.business.loader import BusinessConfig
from shared.db import Database
from shared.events import EnvelopeBase, Event, LeadActivityEvent, LeadEnrichedEvent, LeadScoredEvent, follow_event
from shared.payloads import ScoredLead
from shared.runtime import Stage
from shared.topics import Topic


@dataclass(frozen=True)
class ScoreDeps:
    db: Database
    config: BusinessConfig
    clock: Callable[[], datetime]


def periodic_event(lead_id: UUID, correlation_id: UUID, scored: ScoredLead, now: datetime) -> LeadScoredEvent:
    """A re-score with no input event (decay over time): its id derives from the lead and the clock."""
    return LeadScoredEvent(
        event_id=uuid5(lead_id, f"rescore:{now.isoformat()}:{scored.total}"),
        occurred_at=now,
        lead_id=lead_id,
        correlation_id=correlation_id,
        producer="score",
        data=scored,
    )


Publish = Callable[[LeadScoredEvent], Awaitable[None]]


async def rescore(
    deps: ScoreDeps, lead_id: UUID, now: datetime, cause: EnvelopeBase | None, publish: Publish | None = None
) -> LeadScoredEvent | None:
    """Re-score one lead in its own transaction (the periodic path). `publish` delivers the event
    before the new result commits, so a crash in between re-scores and publishes again."""
    async with deps.db.session_scope() as session:
        event = await rescore_locked(session, deps, lead_id, now, cause)
        if event is not None and publish is not None:
            await publish(event)
    return event


async def rescore_locked(
    session: AsyncSession, deps: ScoreDeps, lead_id: UUID, now: datetime, cause: EnvelopeBase | None
) -> LeadScoredEvent | None:
    """Recompute one lead's score holding its row lock. Returns the event to emit: a new one when the
    score changed, the same one again when `cause` is a redelivery of the event that changed it."""
    state = await repository.lock_lead(session, lead_id)
    if state is None or state.enriched is None:
        return None
    scored = score_lead(state.enriched, await repository.activities(session, lead_id), deps.config.scoring, now)
    summary = repository.summary(scored.fit, scored.intent, scored.total, scored.grade, scored.stage)
    if state.result == summary:
        if cause is not None and state.last_cause == cause.event_id and state.last_event is not None:
            return LeadScoredEvent.model_validate(state.last_event)
        return None
    if cause is not None:
        key = f"{scored.total}:{scored.grade}:{scored.stage}"
        event = follow_event(LeadScoredEvent, cause, producer="score", data=scored, key=key)
    else:
        event = periodic_event(lead_id, state.correlation_id, scored, now)
    cause_id = cause.event_id if cause is not None else None
    await repository.save_result(session, lead_id, summary, event.model_dump(mode="json"), cause_id)
    return event


async def handle(event: Event, deps: ScoreDeps) -> Sequence[EnvelopeBase]:
    """Store the new fact and re-score in one transaction."""
    async with deps.db.session_scope() as session:
        if isinstance(event, LeadEnrichedEvent):
            await repository.save_enriched(session, event.lead_id, event.correlation_id, event.data)
        elif isinstance(event, LeadActivityEvent):
            await repository.add_activity(session, event.event_id, event.lead_id, event.correlation_id, event.data)
        else:
            raise TypeError(f"score does not handle {event.type}")
        out = await rescore_locked(session, deps, event.lead_id, deps.clock(), event)
    return [out] if out is not None else []


STAGE: Stage[ScoreDeps] = Stage(
    name="score",
    inputs=[Topic.LEAD_ENRICHED, Topic.LEAD_ACTIVITY],
    handle=handle,
    batch_transaction=lambda deps: deps.db.shared_transaction(),
)
