"""lead.enriched and lead.activity -> lead.scored, emitted only when fit, intent, total, grade or
stage changed. State (the lead, its activities, its last result) lives in the `score` schema.

A partition's batch is one transaction of a few set-based statements: store every fact, lock the
leads they name, read their activities, and re-score each lead once, with the batch's last event
for that lead as the cause (a lead that got 5 page views in the batch is scored once, not 5 times)."""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from services.score import repository
from services.score.decision import rescore_decision
from services.score.model import Model
from shared.business.loader import BusinessConfig
from shared.db import Database
from shared.events import EnvelopeBase, Event, LeadActivityEvent, LeadEnrichedEvent, LeadScoredEvent
from shared.live_config import LiveConfig
from shared.runtime import Stage
from shared.topics import Topic


@dataclass(frozen=True)
class ScoreDeps:
    db: Database
    base: BusinessConfig
    """The YAML file's config; the version in force is `live.current` (a published one replaces it)."""
    clock: Callable[[], datetime]
    model: Callable[[], Model | None] = lambda: None
    """The active predictive model (None: rules only), refreshed by the model worker."""
    live: LiveConfig = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.live is None:
            object.__setattr__(self, "live", LiveConfig.fixed(self.base))


Publish = Callable[[LeadScoredEvent], Awaitable[None]]


async def rescore(
    deps: ScoreDeps, lead_id: UUID, now: datetime, cause: EnvelopeBase | None, publish: Publish | None = None
) -> LeadScoredEvent | None:
    """Re-score one lead in its own transaction (the periodic path). `publish` delivers the event
    before the new result commits, so a crash in between re-scores and publishes again."""
    async with deps.live.use() as applied, deps.db.session_scope() as session:
        state = (await repository.lock_leads(session, [lead_id])).get(lead_id)
        if state is None:
            return None
        activities = (await repository.activities_of(session, [lead_id]))[lead_id]
        scoring, version = applied.config.scoring, applied.version
        event, result = rescore_decision(state, activities, scoring, now, cause, deps.model(), version)
        if result is not None:
            await repository.save_results(session, [result])
        if event is not None and publish is not None:
            await publish(event)
    return event


async def handle_batch(events: Sequence[Event], deps: ScoreDeps) -> list[Sequence[EnvelopeBase]]:
    enriched, activities = [], []
    last: dict[UUID, int] = {}
    for i, event in enumerate(events):
        if isinstance(event, LeadEnrichedEvent):
            enriched.append((event.lead_id, event.correlation_id, event.data))
        elif isinstance(event, LeadActivityEvent):
            activities.append((event.event_id, event.lead_id, event.correlation_id, event.data))
        else:
            raise TypeError(f"score does not handle {event.type}")
        last[event.lead_id] = i
    now = deps.clock()
    outputs: list[Sequence[EnvelopeBase]] = [[] for _ in events]
    async with deps.live.use() as applied, deps.db.session_scope() as session:
        await repository.save_facts(session, enriched, activities)
        lead_ids = sorted(last)
        states = await repository.lock_leads(session, lead_ids)
        history = await repository.activities_of(session, lead_ids)
        results = []
        for lead_id in lead_ids:
            index = last[lead_id]
            scored, result = rescore_decision(
                states[lead_id],
                history[lead_id],
                applied.config.scoring,
                now,
                events[index],
                deps.model(),
                applied.version,
            )
            if scored is not None:
                outputs[index] = [scored]
            if result is not None:
                results.append(result)
        await repository.save_results(session, results)
    return outputs


async def handle(event: Event, deps: ScoreDeps) -> Sequence[EnvelopeBase]:
    return (await handle_batch([event], deps))[0]


STAGE: Stage[ScoreDeps] = Stage(
    name="score", inputs=[Topic.LEAD_ENRICHED, Topic.LEAD_ACTIVITY], handle=handle, handle_batch=handle_batch
)
