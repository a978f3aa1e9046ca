"""The whole score of a lead: fit + intent, grade and lifecycle stage. Pure."""

from collections.abc import Sequence
from datetime import datetime

from services.score.intent import intent_contributions
from services.score.model import Model, explain, features
from services.score.rules import fit_contributions
from shared.business.scoring import OUTCOMES, Grades, PredictiveModel, Scoring, Thresholds
from shared.payloads import Activity, Contribution, EnrichedLead, Prediction, ScoredLead


def fit_grade(fit: int, grades: Grades) -> str:
    for letter in ("A", "B", "C"):
        if fit >= grades.fit[letter]:
            return letter
    return "D"


def intent_grade(intent: int, grades: Grades) -> str:
    for digit in ("1", "2", "3"):
        if intent >= grades.intent[digit]:
            return digit
    return "4"


def stage(total: int, thresholds: Thresholds) -> str:
    if total >= thresholds.sql:
        return "sql"
    if total >= thresholds.mql:
        return "mql"
    return "lead"


def progress(activities: Sequence[Activity], scoring: Scoring) -> tuple[str | None, datetime | None]:
    """The latest outcome (converted, won, lost) and when the lead last made progress."""
    outcomes = sorted((a.occurred_at, a.kind) for a in activities if a.kind in OUTCOMES)
    moves = [a.occurred_at for a in activities if a.kind in scoring.progress_events]
    return (outcomes[-1][1] if outcomes else None), (max(moves) if moves else None)


def blended(rules_total: int, prediction: Prediction, settings: PredictiveModel) -> int:
    """The total with the model's points weighed in: (1 - blend) x rules + blend x points x p."""
    return round((1 - settings.blend) * rules_total + settings.blend * settings.points * prediction.probability)


def score_lead(
    lead: EnrichedLead, activities: Sequence[Activity], scoring: Scoring, now: datetime, model: Model | None = None
) -> ScoredLead:
    """Rules, then the model blended in when there is one (its points are one more explained line)."""
    fit_parts = fit_contributions(lead, scoring.rules)
    intent_parts = intent_contributions(activities, scoring.intent_rules, scoring.decay_groups, scoring.inactivity, now)
    fit = sum(c.points for c in fit_parts)
    intent = sum(c.points for c in intent_parts)
    total = fit + intent
    parts = fit_parts + intent_parts
    prediction = None
    if model is not None and scoring.model.enabled:
        prediction = model.predict(features(lead, activities))
        with_model = blended(total, prediction, scoring.model)
        parts.append(Contribution(rule_id="model", points=with_model - total, why=explain(model.version, prediction)))
        total = with_model
    outcome, progress_at = progress(activities, scoring)
    return ScoredLead(
        lead=lead,
        fit=fit,
        intent=intent,
        total=total,
        contributions=parts,
        grade=fit_grade(fit, scoring.grades) + intent_grade(intent, scoring.grades),
        stage=stage(total, scoring.thresholds),
        scored_at=now,
        model_version=model.version if prediction is not None and model is not None else "rules",
        prediction=prediction,
        outcome=outcome,
        progress_at=progress_at,
    )
