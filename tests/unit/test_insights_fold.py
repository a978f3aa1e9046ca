"""Folding a batch into insights' changes: one change per lead, assignment and alert, whatever the
order the events came in, merged by the same rules as the stored rows."""

import random
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from services.insights.changes import fold
from tests.integration.test_insights_projection import story

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def test_any_order_of_a_batch_folds_to_the_same_changes() -> None:
    leads = [uuid4() for _ in range(3)]
    events = (
        story("web", leads[0], rep="alice", claim_after=40, stage="sql", minute=0)
        + story("web", leads[1], rep="bruno", claim_after=None, stage="sql", minute=1)
        + story("web", leads[2], rep="alice", claim_after=None, stage="lead", minute=2)
    )
    first = fold(events)
    assert len(first.facts) == 3 and len(first.timeline) == len(events)
    assert len(first.assignments) == 3, "lead 0: one claimed assignment; lead 1: two attempts"
    for seed in range(5):
        shuffled = events + events
        random.Random(seed).shuffle(shuffled)
        again = fold(shuffled)
        assert (again.captured, again.facts, again.assignments, again.alerts) == (
            first.captured,
            first.facts,
            first.assignments,
            first.alerts,
        ), f"order {seed}"
        assert set(again.timeline) == set(first.timeline)


def test_the_latest_score_wins_and_mql_is_the_earliest_qualifying_score() -> None:
    lead = uuid4()
    events = story("web", lead, rep="alice", claim_after=None, stage="sql", minute=0)
    scored = events[2]
    later = scored.model_copy(
        update={
            "event_id": uuid4(),
            "data": scored.data.model_copy(  # type: ignore[attr-defined]
                update={"total": 40, "stage": "mql", "scored_at": T0 + timedelta(hours=1)}
            ),
        }
    )
    facts = fold([later, scored]).facts[lead]
    assert (facts.score, facts.stage, facts.scored_at) == (40, "mql", T0 + timedelta(hours=1))
    assert facts.mql_at == facts.sql_at == T0 + timedelta(milliseconds=20)


def test_the_first_claim_wins_and_an_assignment_keeps_its_claim_whichever_comes_first() -> None:
    lead = uuid4()
    events = story("web", lead, rep="alice", claim_after=40, stage="sql", minute=0)
    assigned, notified, ack = events[3], events[4], events[5]
    other = ack.model_copy(
        update={
            "event_id": uuid4(),
            "data": ack.data.model_copy(update={"rep_id": "bruno"}),  # type: ignore[attr-defined]
        }
    )
    [change] = fold([ack, other, notified, assigned]).assignments.values()
    assert change.claimed_by == "alice" and change.assigned is not None and change.assigned["rep_id"] == "alice"
    assert change.first_alert_at == notified.data.at  # type: ignore[attr-defined]
