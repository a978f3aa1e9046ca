"""The whole score of a lead: fit + intent, grade and lifecycle stage. Pure."""

from collections.abc import Sequence
from datetime import datetime

from services.score.intent import intent_contributions
from services.score.rules import fit_contributions
from shared.business.scoring import Grades, Scoring, Thresholds
from shared.payloads import Activity, EnrichedLead, ScoredLead


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


def score_lead(lead: EnrichedLead, activities: Sequence[Activity], scoring: Scoring, now: datetime) -> ScoredLead:
    fit_parts = fit_contributions(lead, scoring.rules)
    intent_parts = intent_contributions(activities, scoring.intent_rules, scoring.decay_groups, scoring.inactivity, now)
    fit = sum(c.points for c in fit_parts)
    intent = sum(c.points for c in intent_parts)
    total = fit + intent
    return ScoredLead(
        lead=lead,
        fit=fit,
        intent=intent,
        total=total,
        contributions=fit_parts + intent_parts,
        grade=fit_grade(fit, scoring.grades) + intent_grade(intent, scoring.grades),
        stage=stage(total, scoring.thresholds),
        scored_at=now,
    )
