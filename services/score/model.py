"""The predictive model at scoring time: a lead's features, and a logistic regression stored as plain
weights (JSON in `score.models`, no pickles), so scoring needs no scikit-learn and no I/O. Pure."""

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from shared.business.scoring import OUTCOMES
from shared.payloads import Activity, Driver, EnrichedLead, Prediction

SENIOR = re.compile(r"(?i)\b(vp|vice president|head of|director|chief|cto|ceo|cfo|cio|coo|founder|owner)\b")
MANAGER = re.compile(r"(?i)\bmanager\b")
IGNORED_EVENTS = frozenset({*OUTCOMES, "rep_rejected"})
"""Outcomes are the label, and a rep's rejection comes after routing: neither may predict."""
DRIVERS = 3


def _size(employees: int) -> str:
    for limit, band in ((50, "1-50"), (200, "51-200"), (1000, "201-1000"), (5000, "1001-5000")):
        if employees <= limit:
            return band
    return "5001+"


def features(lead: EnrichedLead, activities: Sequence[Activity]) -> dict[str, float]:
    """What the model sees: enriched fields as indicators, behaviour as log counts per kind (and per
    top-level page for page views)."""
    f: dict[str, float] = {f"source={lead.source}": 1.0}
    title = lead.fields.title or ""
    if SENIOR.search(title):
        f["title=senior"] = 1.0
    elif MANAGER.search(title):
        f["title=manager"] = 1.0
    elif title:
        f["title=other"] = 1.0
    if lead.is_free_mail:
        f["email=free"] = 1.0
    if lead.is_disposable:
        f["email=disposable"] = 1.0
    if lead.company is not None:
        f[f"industry={lead.company.industry}"] = 1.0
        f[f"country={lead.company.country}"] = 1.0
        f[f"size={_size(lead.company.employees)}"] = 1.0
    if lead.account is not None:
        f["account=matched"] = 1.0
    kinds = Counter(a.kind for a in activities if a.kind not in IGNORED_EVENTS)
    for activity in activities:
        url = activity.properties.get("url") if activity.kind == "page_view" else None
        if isinstance(url, str) and (path := url.split("://", 1)[-1].split("/", 2)[1:2]):
            kinds[f"page:/{path[0][:40]}"] += 1
    for kind, n in kinds.items():
        f[f"events:{kind[:60]}"] = math.log1p(n)
    return f


def label(activities: Sequence[Activity]) -> int | None:
    """1 converted or won, 0 lost, None without an outcome; the latest outcome wins."""
    outcomes = sorted((a.occurred_at, a.kind) for a in activities if a.kind in OUTCOMES)
    return OUTCOMES[outcomes[-1][1]] if outcomes else None


def _readable(feature: str) -> str:
    name, _, value = feature.partition("=")
    if feature.startswith("events:"):
        return feature.removeprefix("events:").replace("_", " ")
    return f"{name} {value}" if value else name


@dataclass(frozen=True)
class Model:
    version: str
    weights: dict[str, float]
    intercept: float

    def predict(self, f: dict[str, float]) -> Prediction:
        pushes = {k: self.weights[k] * v for k, v in f.items() if k in self.weights}
        z = self.intercept + sum(pushes.values())
        probability = 1.0 / (1.0 + math.exp(-max(min(z, 40.0), -40.0)))
        top = sorted(pushes.items(), key=lambda kv: (-abs(kv[1]), kv[0]))[:DRIVERS]
        return Prediction(
            probability=round(probability, 4),
            drivers=[Driver(feature=k, effect=round(e, 3)) for k, e in top if abs(e) >= 0.01],
        )

    def to_json(self) -> dict[str, Any]:
        return {"version": self.version, "weights": self.weights, "intercept": self.intercept}

    @staticmethod
    def from_json(doc: dict[str, Any]) -> "Model":
        weights = {str(k): float(v) for k, v in doc["weights"].items()}
        return Model(str(doc["version"]), weights, float(doc["intercept"]))


def explain(model_version: str, prediction: Prediction) -> str:
    drivers = ", ".join(f"{_readable(d.feature)} {'+' if d.effect > 0 else '-'}" for d in prediction.drivers)
    because = f" ({drivers})" if drivers else ""
    return f"Model {model_version}: {prediction.probability:.0%} likely to convert{because}"
