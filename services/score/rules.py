"""Fit scoring: each rule that matches a lead field adds (or removes) points, with its reason. Pure."""

import re
from typing import Any

from shared.business_config import FitRule
from shared.payloads import Contribution, EnrichedLead, ScoredLead

MISSING = object()


def field_value(lead: dict[str, Any], path: str) -> Any:
    """Resolve a dotted path (`company.industry`) in a dumped lead; MISSING when any step is absent."""
    value: Any = lead
    for part in path.split("."):
        if not isinstance(value, dict) or value.get(part) is None:
            return MISSING
        value = value[part]
    return value


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value))
    except ValueError:
        return None


def matches(rule: FitRule, value: Any) -> bool:
    if value is MISSING:
        return False
    if rule.in_ is not None:
        wanted = {str(v).lower() for v in rule.in_}
        return str(value).lower() in wanted
    if rule.range is not None:
        number = _as_number(value)
        if number is None:
            return False
        low, high = rule.range.min, rule.range.max
        return (low is None or number >= low) and (high is None or number <= high)
    if rule.regex is not None:
        return re.search(rule.regex, str(value)) is not None
    if isinstance(rule.equals, str) and isinstance(value, str):
        return value.lower() == rule.equals.lower()
    return bool(value == rule.equals)


def explain(rule: FitRule, value: Any) -> str:
    reason = rule.why or f"{rule.field} matched"
    return f"{reason} ({rule.field} = {value})"


def score_fit(lead: EnrichedLead, rules: list[FitRule]) -> ScoredLead:
    dumped = lead.model_dump(mode="json")
    contributions = []
    for rule in rules:
        value = field_value(dumped, rule.field)
        if matches(rule, value):
            contributions.append(Contribution(rule_id=rule.id, points=rule.points, why=explain(rule, value)))
    fit = sum(c.points for c in contributions)
    return ScoredLead(lead=lead, fit=fit, intent=0, total=fit, contributions=contributions)
