from typing import Any

from services.score.rules import MISSING, field_value, matches, score_fit
from shared.business_config import FitRule, load_config
from shared.settings import ROOT
from tests.unit.factories import enriched_lead


def rule(**kw: Any) -> FitRule:
    return FitRule.model_validate({"id": "r", "field": "x", "points": 5, **kw})


def test_each_rule_kind() -> None:
    assert matches(rule(equals="Software"), "software")
    assert not matches(rule(equals=True), False)
    assert matches(rule(**{"in": ["US", "CA"]}), "ca")
    assert matches(rule(range={"min": 200, "max": 5000}), 850)
    assert not matches(rule(range={"min": 200, "max": 5000}), 5001)
    assert matches(rule(range={"min": 5001}), "9000")
    assert not matches(rule(range={"min": 1}), "many")
    assert matches(rule(regex=r"(?i)\bvp\b"), "VP Sales")
    assert not matches(rule(regex=r"(?i)\bvp\b"), "MVP fan")


def test_missing_fields_never_match() -> None:
    lead = enriched_lead(company=None).model_dump(mode="json")
    assert field_value(lead, "company.industry") is MISSING
    assert not matches(rule(equals=None, regex=".*"), MISSING)


def test_example_config_scores_a_senior_saas_lead_with_reasons() -> None:
    config = load_config(ROOT / "config" / "leadrelay.example.yaml")
    result = score_fit(enriched_lead(title="VP Sales"), config.scoring.rules)
    fired = {c.rule_id: c.points for c in result.contributions}
    assert fired == {"senior_title": 25, "target_industry": 20, "mid_market": 20, "core_geo": 10}
    assert result.total == result.fit == 75
    assert all(c.why for c in result.contributions)


def test_negative_points_lower_the_total() -> None:
    config = load_config(ROOT / "config" / "leadrelay.example.yaml")
    result = score_fit(enriched_lead(title=None, company=None, free_mail=True), config.scoring.rules)
    assert [(c.rule_id, c.points) for c in result.contributions] == [("free_mail", -20)]
    assert result.total == -20


async def test_handler_emits_the_score_for_the_same_lead() -> None:
    from services.score.handler import handle
    from shared.events import LeadEnrichedEvent, LeadScoredEvent, follow_event
    from tests.unit.factories import captured

    config = load_config(ROOT / "config" / "leadrelay.example.yaml")
    cause = follow_event(LeadEnrichedEvent, captured(email="d@initech.com"), producer="t", data=enriched_lead())
    [out] = await handle(cause, config)
    assert isinstance(out, LeadScoredEvent)
    assert out.lead_id == cause.lead_id and out.data.total == 75
