"""Fit scoring: each rule that matches a lead field adds (or removes) points, with its reason. Pure."""

from typing import Any

from shared.business.scoring import FitRule
from shared.conditions import field_value, matches
from shared.payloads import Contribution, EnrichedLead


def explain(rule: FitRule, value: Any) -> str:
    reason = rule.why or f"{rule.field} matched"
    return f"{reason} ({rule.field} = {value})"


def fit_contributions(lead: EnrichedLead, rules: list[FitRule]) -> list[Contribution]:
    dumped = lead.model_dump(mode="json")
    out = []
    for rule in rules:
        value = field_value(dumped, rule.field)
        if matches(rule, value):
            out.append(Contribution(rule_id=rule.id, points=rule.points, why=explain(rule, value)))
    return out
