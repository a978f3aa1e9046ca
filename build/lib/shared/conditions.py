"""Matching a condition from the config against a field of a document (a lead, an event). Pure."""

import re
from typing import Any

from shared.business.base import Condition

MISSING: Any = object()


def field_value(doc: dict[str, Any], path: str) -> Any:
    """Resolve a dotted path (`company.industry`) in a document; MISSING when any step is absent."""
    value: Any = doc
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


def matches(cond: Condition, value: Any) -> bool:
    if value is MISSING:
        return False
    if cond.in_ is not None:
        return str(value).lower() in {str(v).lower() for v in cond.in_}
    if cond.range is not None:
        number = _as_number(value)
        if number is None:
            return False
        low, high = cond.range.min, cond.range.max
        return (low is None or number >= low) and (high is None or number <= high)
    if cond.regex is not None:
        return re.search(cond.regex, str(value)) is not None
    if cond.contains is not None:
        return cond.contains.lower() in str(value).lower()
    if isinstance(cond.equals, str) and isinstance(value, str):
        return value.lower() == cond.equals.lower()
    return bool(value == cond.equals)


def all_match(conditions: list[Condition], doc: dict[str, Any]) -> bool:
    return all(matches(c, field_value(doc, c.field)) for c in conditions)
