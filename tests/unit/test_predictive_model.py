"""Predictive scoring, pure parts: what the model sees, how it explains itself, how it blends with
the rules, and that on a generated dataset with a known signal it beats the rules alone and is
calibrated."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.score import model_dataset
from services.score.engine import score_lead
from services.score.model import Model, explain, features, label
from services.score.training import NotEnoughOutcomes, train
from shared.business.loader import load_config
from shared.payloads import Activity

SCORING = load_config(Path(__file__).parents[2] / "config" / "leadrelay.example.yaml").scoring
AT = datetime(2026, 11, 23, 12, tzinfo=UTC)


def lead_and_activities() -> tuple[model_dataset.GeneratedLead, list[Activity]]:
    g = model_dataset.generate(1, seed=3)[0]
    extra = [
        Activity(kind="page_view", occurred_at=AT, properties={"url": "https://x.io/pricing/plans"}),
        Activity(kind="won", occurred_at=AT),
        Activity(kind="rep_rejected", occurred_at=AT, properties={"reason": "not_a_fit"}),
    ]
    return g, [*g.activities, *extra]


def test_features_never_include_the_outcome_or_a_reps_rejection() -> None:
    g, activities = lead_and_activities()
    f = features(g.lead, activities)
    assert not any(k.startswith(("events:won", "events:rep_rejected")) for k in f)
    assert f["events:page:/pricing"] > 0 and f[f"source={g.lead.source}"] == 1.0


def test_the_latest_outcome_is_the_label() -> None:
    won, lost = Activity(kind="won", occurred_at=AT), Activity(kind="lost", occurred_at=AT.replace(hour=13))
    assert label([won]) == 1 and label([won, lost]) == 0 and label([]) is None


def test_a_prediction_names_its_strongest_drivers() -> None:
    model = Model("m1", {"title=senior": 2.0, "email=free": -1.0, "country=DE": 0.1}, -1.0)
    p = model.predict({"title=senior": 1.0, "email=free": 1.0, "country=DE": 1.0, "unknown": 5.0})
    assert p.probability == pytest.approx(1 / (1 + 2.718281828**-(0.1)), abs=1e-3)
    assert [d.feature for d in p.drivers] == ["title=senior", "email=free", "country=DE"]
    assert explain("m1", p).startswith("Model m1: 52% likely to convert (title senior +, email free -")


def test_with_a_model_the_total_is_blended_and_explained_and_carries_the_version() -> None:
    g, activities = lead_and_activities()
    rules = score_lead(g.lead, activities, SCORING, AT)
    assert rules.model_version == "rules" and rules.prediction is None and rules.outcome == "won"
    model = Model("m7", {"title=senior": 3.0, "title=other": 3.0, "title=manager": 3.0}, 0.0)
    blended = score_lead(g.lead, activities, SCORING, AT, model)
    [line] = [c for c in blended.contributions if c.rule_id == "model"]
    assert blended.model_version == "m7" and blended.prediction is not None
    expected = round(0.5 * rules.total + 0.5 * 100 * blended.prediction.probability)
    assert blended.total == expected and line.points == expected - rules.total
    assert "m7" in line.why and "likely to convert" in line.why


def test_on_a_known_signal_the_model_beats_the_rules_and_is_calibrated() -> None:
    examples = model_dataset.examples(model_dataset.generate(3000, seed=11), SCORING)
    _, report = train(examples, SCORING.model, "generated", seed=11)
    assert report.auc_model >= report.auc_rules + 0.02, report
    assert report.auc_truth is not None and report.auc_model <= report.auc_truth + 0.01
    assert report.ece < 0.06 and report.better_than_rules


def test_too_few_outcomes_is_no_model() -> None:
    examples = model_dataset.examples(model_dataset.generate(50, seed=1), SCORING)
    with pytest.raises(NotEnoughOutcomes):
        train(examples, SCORING.model, "tiny")
