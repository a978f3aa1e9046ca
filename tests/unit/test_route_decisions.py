from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.route.decisions import NoEligibleRep, round_robin
from shared.payloads import RepContact

REPS = [RepContact(id=i, name=i.title()) for i in ("alice", "bruno", "chen")]


def test_turns_cycle_through_the_pool_in_order() -> None:
    picks = [round_robin("inbound", REPS, turn).rep.id for turn in range(1, 8)]
    assert picks == ["alice", "bruno", "chen", "alice", "bruno", "chen", "alice"]


def test_decision_explains_itself() -> None:
    decision = round_robin("inbound", REPS, 2)
    assert "Bruno" in decision.reason and "inbound" in decision.reason
    assert any("candidates: alice, bruno, chen" in line for line in decision.trace)


def test_empty_pool_is_an_explicit_error() -> None:
    with pytest.raises(NoEligibleRep):
        round_robin("inbound", [], 1)


@given(
    members=st.integers(min_value=1, max_value=12),
    start=st.integers(min_value=1, max_value=10_000),
    leads=st.integers(min_value=0, max_value=500),
)
def test_any_run_of_consecutive_turns_is_balanced_within_one(members: int, start: int, leads: int) -> None:
    reps = [RepContact(id=f"r{i}", name=f"R{i}") for i in range(members)]
    counts = Counter(round_robin("p", reps, t).rep.id for t in range(start, start + leads))
    per_rep = [counts.get(r.id, 0) for r in reps]
    assert max(per_rep) - min(per_rep) <= 1
