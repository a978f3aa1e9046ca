"""Training the predictive model (scikit-learn): a logistic regression on the lead's features, fitted
on one stratified part of the labelled leads and judged on the rest (the holdout) against the rules
alone. Logistic regression fitted by log-loss is calibrated by construction; the report shows it
(probability bins against the observed rate, and the expected calibration error)."""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.model_selection import train_test_split

from services.score.engine import blended
from services.score.model import Model
from shared.business.scoring import PredictiveModel
from shared.payloads import Prediction

BINS = 10


@dataclass(frozen=True)
class Example:
    features: dict[str, float]
    label: int
    rules_total: int
    truth: float | None = None
    """The known probability, on a generated dataset (the ceiling any model could reach)."""


@dataclass(frozen=True)
class CalibrationBin:
    low: float
    high: float
    count: int
    predicted: float
    observed: float


@dataclass(frozen=True)
class Report:
    version: str
    trained_on: int
    tested_on: int
    positives: int
    auc_model: float
    auc_rules: float
    auc_blend: float
    brier: float
    ece: float
    calibration: list[CalibrationBin]
    auc_truth: float | None = None

    @property
    def better_than_rules(self) -> bool:
        return self.auc_model > self.auc_rules


class NotEnoughOutcomes(Exception):
    pass


def calibration(y: Sequence[int], p: Sequence[float]) -> tuple[list[CalibrationBin], float]:
    bins: list[CalibrationBin] = []
    error = 0.0
    for i in range(BINS):
        low, high = i / BINS, (i + 1) / BINS
        inside = [(yy, pp) for yy, pp in zip(y, p, strict=True) if low <= pp < high or (i == BINS - 1 and pp == 1.0)]
        if not inside:
            continue
        predicted = sum(pp for _, pp in inside) / len(inside)
        observed = sum(yy for yy, _ in inside) / len(inside)
        bins.append(CalibrationBin(low, high, len(inside), predicted, observed))
        error += len(inside) / len(y) * abs(predicted - observed)
    return bins, error


def train(examples: Sequence[Example], settings: PredictiveModel, version: str, seed: int = 0) -> tuple[Model, Report]:
    labels = [e.label for e in examples]
    if len(examples) < settings.min_outcomes or min(labels.count(0), labels.count(1)) < 10:
        raise NotEnoughOutcomes(
            f"{len(examples)} labelled leads ({labels.count(1)} converted or won, {labels.count(0)} lost);"
            f" need {settings.min_outcomes} with at least 10 of each"
        )
    train_set, test_set = train_test_split(
        list(examples), test_size=settings.holdout, random_state=seed, stratify=labels
    )
    vectorizer = DictVectorizer(sparse=True)
    x_train = vectorizer.fit_transform([e.features for e in train_set])
    classifier = LogisticRegression(C=1.0, max_iter=2000)
    classifier.fit(x_train, [e.label for e in train_set])
    names = vectorizer.get_feature_names_out()
    weights = {str(n): float(w) for n, w in zip(names, classifier.coef_[0], strict=True) if abs(w) > 1e-6}
    model = Model(version, weights, float(classifier.intercept_[0]))

    y = [e.label for e in test_set]
    p = [model.predict(e.features).probability for e in test_set]
    rules = [e.rules_total for e in test_set]
    blend = [blended(e.rules_total, Prediction(probability=pp), settings) for e, pp in zip(test_set, p, strict=True)]
    bins, ece = calibration(y, p)
    report = Report(
        version=version,
        trained_on=len(train_set),
        tested_on=len(test_set),
        positives=sum(labels),
        auc_model=float(roc_auc_score(y, p)),
        auc_rules=float(roc_auc_score(y, rules)),
        auc_blend=float(roc_auc_score(y, blend)),
        brier=float(brier_score_loss(y, np.asarray(p))),
        ece=ece,
        calibration=bins,
        auc_truth=float(roc_auc_score(y, truths)) if None not in (truths := [e.truth for e in test_set]) else None,
    )
    return model, report


def render(report: Report) -> str:
    gain = report.auc_model - report.auc_rules
    lines = [
        f"model {report.version}: trained on {report.trained_on} labelled leads, tested on a holdout of"
        f" {report.tested_on} ({report.positives} converted or won in all)",
        "",
        f"  holdout AUC   model {report.auc_model:.3f}   rules only {report.auc_rules:.3f}"
        f"   blend {report.auc_blend:.3f}",
        f"  the model beats rules only by {gain:+.3f} AUC ({gain / max(report.auc_rules, 1e-9):+.1%})"
        if gain > 0
        else f"  the model does not beat rules only ({gain:+.3f} AUC); require_better_than_rules keeps it off",
        *([f"  the known signal itself reaches {report.auc_truth:.3f} AUC"] if report.auc_truth is not None else []),
        f"  calibration   Brier {report.brier:.3f}   expected calibration error {report.ece:.3f}",
        "",
        "  predicted   leads   mean predicted   observed rate",
    ]
    for b in report.calibration:
        lines.append(f"  {b.low:.1f}-{b.high:.1f}   {b.count:5d}   {b.predicted:14.3f}   {b.observed:13.3f}")
    return "\n".join(lines)
