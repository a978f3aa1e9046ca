"""score's change detection and redelivery rules, pure: no database."""

from dataclasses import replace
from datetime import UTC, datetime

from services.score.decision import LeadState, rescore_decision
from shared.business.loader import load_config
from shared.events import LeadEnrichedEvent, follow_event
from shared.payloads import Activity
from shared.settings import ROOT
from tests.unit.factories import captured, enriched_lead

SCORING = load_config(ROOT / "config" / "leadrelay.example.yaml").scoring
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def fresh_state() -> tuple[LeadState, LeadEnrichedEvent]:
    cause = captured(email="d@initech.com")
    enriched = follow_event(LeadEnrichedEvent, cause, producer="t", data=enriched_lead(title=None))
    return LeadState(cause.lead_id, cause.correlation_id, enriched.data, None, None, None), enriched


def test_a_lead_not_enriched_yet_is_not_scored() -> None:
    state, cause = fresh_state()
    assert rescore_decision(replace(state, enriched=None), [], SCORING, NOW, cause) == (None, None)


def test_a_first_score_is_emitted_and_stored_with_its_cause() -> None:
    state, cause = fresh_state()
    event, result = rescore_decision(state, [], SCORING, NOW, cause)
    assert event is not None and result is not None
    assert (event.data.fit, event.data.stage, event.causation_id) == (50, "mql", cause.event_id)
    assert result.cause == cause.event_id and result.summary["total"] == 50
    assert result.event == event.model_dump(mode="json")


def test_an_unchanged_score_emits_nothing_unless_its_cause_is_redelivered() -> None:
    state, cause = fresh_state()
    event, result = rescore_decision(state, [], SCORING, NOW, cause)
    assert event is not None and result is not None
    stored = replace(state, result=result.summary, last_event=result.event, last_cause=cause.event_id)
    assert rescore_decision(stored, [], SCORING, NOW, cause) == (event, None), "same cause: same event again"
    other = follow_event(LeadEnrichedEvent, captured(), producer="t", data=state.enriched)  # type: ignore[arg-type]
    assert rescore_decision(stored, [], SCORING, NOW, other) == (None, None), "another cause, same score: nothing"


def test_a_changed_score_is_a_new_event_and_the_periodic_path_has_no_cause() -> None:
    state, cause = fresh_state()
    _, result = rescore_decision(state, [], SCORING, NOW, cause)
    assert result is not None
    stored = replace(state, result=result.summary, last_event=result.event, last_cause=cause.event_id)
    demo = [Activity(kind="demo_requested", occurred_at=NOW)]
    event, changed = rescore_decision(stored, demo, SCORING, NOW, None)
    assert event is not None and changed is not None
    assert (event.data.total, event.data.stage, changed.cause) == (110, "sql", None)
    assert event.lead_id == state.lead_id
