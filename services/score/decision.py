"""What a re-score produces, given a lead's stored state: pure, so the rules for redelivery and
change detection are unit-tested without a database."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from services.score.engine import score_lead
from services.score.model import Model
from shared.business.scoring import Scoring
from shared.events import EnvelopeBase, LeadScoredEvent, follow_event
from shared.payloads import Activity, EnrichedLead, ScoredLead


@dataclass(frozen=True)
class LeadState:
    lead_id: UUID
    correlation_id: UUID
    enriched: EnrichedLead | None
    result: dict[str, Any] | None
    last_event: dict[str, Any] | None
    last_cause: UUID | None


@dataclass(frozen=True)
class NewResult:
    """To store: the result, the event that announced it, and its cause (None: the periodic path)."""

    lead_id: UUID
    summary: dict[str, Any]
    event: dict[str, Any]
    cause: UUID | None


def summary(scored: ScoredLead) -> dict[str, Any]:
    """What must change for a new lead.scored to be emitted."""
    progress_at = scored.progress_at.isoformat() if scored.progress_at is not None else None
    return {
        "fit": scored.fit,
        "intent": scored.intent,
        "total": scored.total,
        "grade": scored.grade,
        "stage": scored.stage,
        "model": scored.model_version,
        "outcome": scored.outcome,
        "progress_at": progress_at,
    }


def _same(stored: dict[str, Any] | None, new: dict[str, Any]) -> bool:
    """A result stored before a field existed counts that field as its default."""
    if stored is None:
        return False
    defaults = {"model": "rules", "outcome": None, "progress_at": None}
    return {**defaults, **stored} == new


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


def rescore_decision(
    state: LeadState,
    activities: list[Activity],
    scoring: Scoring,
    now: datetime,
    cause: EnvelopeBase | None,
    model: Model | None = None,
    config_version: int | None = None,
) -> tuple[LeadScoredEvent | None, NewResult | None]:
    """The event to emit and the result to store. A new event when fit, intent, total, grade or stage
    changed; the same event again when `cause` is a redelivery of the event that changed it; nothing
    when the lead is not enriched yet or nothing changed."""
    if state.enriched is None:
        return None, None
    scored = score_lead(state.enriched, activities, scoring, now, model).model_copy(
        update={"config_version": config_version}
    )
    new = summary(scored)
    if _same(state.result, new):
        if cause is not None and state.last_cause == cause.event_id and state.last_event is not None:
            return LeadScoredEvent.model_validate(state.last_event), None
        return None, None
    if cause is not None:
        key = f"{scored.total}:{scored.grade}:{scored.stage}"
        event = follow_event(LeadScoredEvent, cause, producer="score", data=scored, key=key)
    else:
        event = periodic_event(state.lead_id, state.correlation_id, scored, now)
    cause_id = cause.event_id if cause is not None else None
    return event, NewResult(state.lead_id, new, event.model_dump(mode="json"), cause_id)
