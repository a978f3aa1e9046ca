from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from services.score.engine import score_lead
from services.score.intent import intent_contributions
from shared.business.loader import load_config
from shared.payloads import Activity
from shared.settings import ROOT
from tests.unit.factories import enriched_lead

SCORING = load_config(ROOT / "config" / "leadrelay.example.yaml").scoring
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def act(kind: str, days_ago: float = 0, **props: Any) -> Activity:
    return Activity(kind=kind, occurred_at=NOW - timedelta(days=days_ago), properties=props)


def intent(*activities: Activity, now: datetime = NOW) -> dict[str, int]:
    parts = intent_contributions(activities, SCORING.intent_rules, SCORING.decay_groups, SCORING.inactivity, now)
    return {c.rule_id: c.points for c in parts}


def test_property_match_and_repeatable_cap() -> None:
    visits = [act("page_view", url="https://acme.io/pricing") for _ in range(5)]
    assert intent(*visits) == {"pricing_page": 30, "page_views": 5}
    assert intent(act("page_view", url="https://acme.io/blog")) == {"page_views": 1}


def test_once_rules_count_once() -> None:
    assert intent(act("demo_requested"), act("demo_requested", 1)) == {"demo_request": 60}


def test_negative_intent() -> None:
    assert intent(act("email_opened"), act("unsubscribed")) == {"email_open": 5, "unsubscribed": -20}


def test_engagement_halves_every_half_life_but_hand_raises_do_not() -> None:
    assert intent(act("webinar_attended", days_ago=30)) == {"webinar": 5, "inactivity": -10}
    assert intent(act("webinar_attended", days_ago=60))["webinar"] == 2
    assert intent(act("demo_requested", days_ago=60))["demo_request"] == 60


def test_inactivity_sinks_a_quiet_lead() -> None:
    assert intent(act("email_opened", days_ago=29)) == {"email_open": 3}
    assert intent(act("email_opened", days_ago=31))["inactivity"] == -10


def test_events_after_the_clock_are_ignored() -> None:
    assert intent(act("demo_requested", days_ago=-1)) == {}


def test_a_demo_request_makes_a_good_fit_lead_sales_ready() -> None:
    lead = enriched_lead(title=None)
    before = score_lead(lead, [], SCORING, NOW)
    after = score_lead(lead, [act("demo_requested")], SCORING, NOW)
    assert (before.total, before.stage) == (50, "mql")
    assert (after.total, after.stage, after.grade) == (110, "sql", "B1")
    assert any(c.rule_id == "demo_request" and "Requested a demo" in c.why for c in after.contributions)


kinds = st.sampled_from(["page_view", "content_download", "email_opened", "webinar_attended", "demo_requested"])
activities = st.lists(
    st.builds(act, kinds, st.floats(min_value=0, max_value=400), url=st.sampled_from(["/pricing", "/blog"])),
    max_size=30,
)


@given(activities)
def test_scoring_is_deterministic_and_never_grows_with_time(acts: list[Activity]) -> None:
    lead = enriched_lead()
    first = score_lead(lead, acts, SCORING, NOW)
    assert score_lead(lead, list(reversed(acts)), SCORING, NOW) == first
    later = score_lead(lead, acts, SCORING, NOW + timedelta(days=45))
    assert later.intent <= first.intent
