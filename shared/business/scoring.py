"""Scoring rules: fit rules on the enriched lead, intent rules on behaviour events, decay, grades."""

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from shared.business.base import Condition, Strict


class FitRule(Condition):
    """Points when a lead field matches. `field` is a dotted path into the enriched lead,
    e.g. `company.industry`, `email_domain`, `fields.title`, `is_free_mail`."""

    id: str
    points: int
    why: str | None = None


class IntentRule(Strict):
    """Points per behaviour event of a kind, optionally only when its properties match."""

    id: str
    event: str
    points: int
    why: str | None = None
    where: list[Condition] = Field(default_factory=list)
    repeat: Literal["once", "repeatable"] = "repeatable"
    cap: int | None = Field(default=None, description="Most points (absolute) this rule can give in total.")
    group: str = "engagement"


class DecayGroup(Strict):
    half_life_days: float | None = Field(default=30, gt=0, description="None: these points never decay.")


class Inactivity(Strict):
    days: int = Field(default=30, ge=1)
    points: int = -10


class Thresholds(Strict):
    mql: int = 40
    sql: int = 70


def _keys_exactly(value: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    if set(value) != set(keys):
        raise ValueError(f"give thresholds for exactly {', '.join(keys)}")
    return value


class Grades(Strict):
    """Minimum points per grade: fit letters A-C (else D), intent digits 1-3 (else 4)."""

    fit: dict[str, int] = Field(default_factory=lambda: {"A": 60, "B": 40, "C": 20})
    intent: dict[str, int] = Field(default_factory=lambda: {"1": 50, "2": 25, "3": 10})

    @field_validator("fit")
    @classmethod
    def _fit_letters(cls, value: dict[str, int]) -> dict[str, int]:
        return _keys_exactly(value, ("A", "B", "C"))

    @field_validator("intent", mode="before")
    @classmethod
    def _intent_digits(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return _keys_exactly({str(k): v for k, v in value.items()}, ("1", "2", "3"))
        return value


class PredictiveModel(Strict):
    """Learned from outcomes (converted / won / lost behaviour events): a logistic regression on the
    enriched fields and behaviour counts, retrained by score every `retrain_minutes`. With fewer than
    `min_outcomes` labelled leads (or no better holdout AUC than the rules), scoring stays rules only."""

    enabled: bool = True
    blend: float = Field(default=0.5, ge=0, le=1, description="The model's weight in the total: 0 rules only.")
    points: int = Field(default=100, ge=1, le=1000, description="What probability 1.0 is worth in points.")
    min_outcomes: int = Field(default=200, ge=20)
    retrain_minutes: float = Field(default=60, gt=0)
    holdout: float = Field(default=0.25, gt=0, lt=1)
    require_better_than_rules: bool = True


OUTCOMES: dict[str, int] = {"converted": 1, "won": 1, "lost": 0}
"""Outcome behaviour events and the label each gives a lead."""
RESERVED_KINDS = frozenset({"rep_rejected", "meeting_booked", "opportunity_created", *OUTCOMES})
"""Behaviour events that change scores, stop recycling or train the model: only a key with the
`outcomes` scope (a CRM's or sales tool's backend) may send them, with the progress_events of the
config; a website's intake key may not."""


class Scoring(Strict):
    rules: list[FitRule] = Field(default_factory=list)
    progress_events: list[str] = Field(
        default_factory=lambda: ["meeting_booked", "opportunity_created", *OUTCOMES],
        description="Behaviour events that count as progress on an owned lead (see routing.recycling).",
    )
    model: PredictiveModel = PredictiveModel()
    intent_rules: list[IntentRule] = Field(default_factory=list)
    decay_groups: dict[str, DecayGroup] = Field(default_factory=lambda: {"engagement": DecayGroup()})
    inactivity: Inactivity | None = None
    thresholds: Thresholds = Thresholds()
    grades: Grades = Grades()
    rescore_interval_seconds: int = Field(default=3600, ge=1)

    @model_validator(mode="after")
    def _groups_exist(self) -> "Scoring":
        for rule in self.intent_rules:
            if rule.group not in self.decay_groups:
                raise ValueError(f"intent rule {rule.id!r} names unknown decay group {rule.group!r}")
        return self
