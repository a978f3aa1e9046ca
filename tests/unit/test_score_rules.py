from datetime import UTC, datetime
from typing import Any

from services.score.engine import score_lead
from services.score.rules import fit_contributions
from shared.business.base import Condition
from shared.business.loader import load_config
from shared.conditions import MISSING, field_value, matches
from shared.settings import ROOT
from tests.unit.factories import enriched_lead

CONFIG = load_config(ROOT / "config" / "leadrelay.example.yaml")
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def cond(**kw: Any) -> Condition:
    return Condition.model_validate({"field": "x", **kw})


def test_each_condition_kind() -> None:
    assert matches(cond(equals="Software"), "software")
    assert not matches(cond(equals=True), False)
    assert matches(cond(**{"in": ["US", "CA"]}), "ca")
    assert matches(cond(range={"min": 200, "max": 5000}), 850)
    assert not matches(cond(range={"min": 200, "max": 5000}), 5001)
    assert matches(cond(range={"min": 5001}), "9000")
    assert not matches(cond(range={"min": 1}), "many")
    assert matches(cond(regex=r"(?i)\bvp\b"), "VP Sales")
    assert not matches(cond(regex=r"(?i)\bvp\b"), "MVP fan")
    assert matches(cond(contains="/pricing"), "https://x.io/Pricing?plan=pro".lower())


def test_missing_fields_never_match() -> None:
    lead = enriched_lead(company=None).model_dump(mode="json")
    assert field_value(lead, "company.industry") is MISSING
    assert not matches(cond(regex=".*"), MISSING)


def test_example_config_scores_a_senior_saas_lead_with_reasons() -> None:
    result = score_lead(enriched_lead(title="VP Sales"), [], CONFIG.scoring, NOW)
    fired = {c.rule_id: c.points for c in result.contributions}
    assert fired == {"senior_title": 25, "target_industry": 20, "mid_market": 20, "core_geo": 10}
    assert (result.fit, result.intent, result.total) == (75, 0, 75)
    assert (result.grade, result.stage) == ("A4", "sql")
    assert all(c.why for c in result.contributions)


def test_negative_points_lower_the_total() -> None:
    parts = fit_contributions(enriched_lead(title=None, company=None, free_mail=True), CONFIG.scoring.rules)
    assert [(c.rule_id, c.points) for c in parts] == [("free_mail", -20)]
    result = score_lead(enriched_lead(title=None, company=None, free_mail=True), [], CONFIG.scoring, NOW)
    assert (result.total, result.grade, result.stage) == (-20, "D4", "lead")


async def test_handler_emits_the_score_for_the_same_lead() -> None:
    from services.score.engine import stage

    assert [stage(t, CONFIG.scoring.thresholds) for t in (39, 40, 69, 70)] == ["lead", "mql", "mql", "sql"]
