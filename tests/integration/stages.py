"""Test stages for the runtime: a side effect keyed on event_id, recorded in PostgreSQL."""

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import text

from shared.db import Database
from shared.events import EnvelopeBase, Event, LeadNurtureEvent, LeadScoredEvent, follow_event
from shared.payloads import Nurture
from shared.runtime import Stage
from shared.topics import Topic

SCHEMA_SQL = [
    "CREATE TABLE IF NOT EXISTS public.effects (event_id uuid PRIMARY KEY, stage text NOT NULL)",
    "CREATE TABLE IF NOT EXISTS public.calls (id bigserial PRIMARY KEY, event_id uuid NOT NULL, stage text NOT NULL)",
]


@dataclass(frozen=True)
class EffectDeps:
    db: Database
    name: str
    fail_for_score: int | None = None


async def record_effect(event: Event, deps: EffectDeps) -> Sequence[EnvelopeBase]:
    """Counts every call, applies the effect once per event_id, and fails for one chosen score."""
    assert isinstance(event, LeadScoredEvent)
    async with deps.db.session_scope() as session:
        await session.execute(
            text("INSERT INTO public.calls (event_id, stage) VALUES (:e, :s)"), {"e": event.event_id, "s": deps.name}
        )
    if deps.fail_for_score is not None and event.data.total == deps.fail_for_score:
        raise RuntimeError(f"handler cannot cope with score {event.data.total}")
    async with deps.db.session_scope() as session:
        await session.execute(
            text("INSERT INTO public.effects (event_id, stage) VALUES (:e, :s) ON CONFLICT DO NOTHING"),
            {"e": event.event_id, "s": deps.name},
        )
    return [follow_event(LeadNurtureEvent, event, producer=deps.name, data=Nurture(reason="test", score=0))]


def effect_stage(name: str, batched: bool = False) -> Stage[EffectDeps]:
    if batched:
        return Stage(
            name=name,
            inputs=[Topic.LEAD_SCORED],
            handle=record_effect,
            batch_transaction=lambda deps: deps.db.shared_transaction(),
        )
    return Stage(name=name, inputs=[Topic.LEAD_SCORED], handle=record_effect)
