"""The part of the business rules that sales ops change without a deploy: reps (contacts, weights,
caps, working hours, out-of-office, region), pools, accounts, holidays, routing rules and scoring. A published version
of it replaces that part of the YAML file, which stays the bootstrap for the rest (sources, forms and
their secrets, notifications). No secret lives in this part, so a version never holds one. Pure."""

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from shared.business.loader import BusinessConfig, field_errors

VERSIONED = ("reps", "pools", "accounts", "holidays", "routing", "scoring")
BOOTSTRAP = 0
"""The version number of the YAML file's own routing part, in force until a version is published."""


@dataclass(frozen=True)
class FieldError:
    field: str
    """Dotted path into the draft, e.g. `pools.1.members.0.rep` (or `reps` for a cross-reference)."""
    message: str


class DraftInvalid(Exception):
    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))
        self.errors = errors


def routing_part(config: BusinessConfig, compact: bool = True) -> dict[str, Any]:
    """The versioned part of a loaded config, as JSON in the YAML's spelling (`in`, `from`), in the
    file's order; `compact` leaves out the fields at their defaults (what a person would write; a
    diff compares the full forms, so that a changed default-valued field shows its old value)."""
    dumped = config.model_dump(mode="json", include=set(VERSIONED), by_alias=True, exclude_defaults=compact)
    return {key: dumped[key] for key in VERSIONED if key in dumped}


def with_version(base: BusinessConfig, document: dict[str, Any]) -> BusinessConfig:
    """`base` with its versioned part replaced by `document`, validated as a whole (so a pool naming
    an unknown rep fails here). Raises DraftInvalid naming each field."""
    if not isinstance(document, dict):
        raise DraftInvalid([FieldError("(top level)", "a version is an object of " + ", ".join(VERSIONED))])
    unknown = sorted(set(document) - set(VERSIONED))
    if unknown:
        only = ", ".join(VERSIONED)
        raise DraftInvalid([FieldError(k, f"not part of a routing version (only {only})") for k in unknown])
    if "routing" not in document:
        raise DraftInvalid([FieldError("routing", "required")])
    rest = {name: getattr(base, name) for name in BusinessConfig.model_fields if name not in VERSIONED}
    try:
        return BusinessConfig.model_validate({**rest, **document})
    except ValidationError as exc:
        errors = [FieldError(field, message) for _, field, message in field_errors(exc)]
        raise DraftInvalid(errors) from exc


def _id_of(item: dict[str, Any]) -> Any:
    return item.get("id") or item.get("domain") or item.get("rep")


def _keyed(items: list[Any]) -> dict[str, Any] | None:
    """A list of things with ids (reps, pools, rules, accounts, members) keyed by id, so a diff names
    `reps.bruno` or `pools.inbound.members.bruno`."""
    if items and all(isinstance(i, dict) and isinstance(_id_of(i), str) for i in items):
        keyed = {str(_id_of(i)): i for i in items}
        return keyed if len(keyed) == len(items) else None
    return None


def diff(before: Any, after: Any, path: str = "") -> list[dict[str, Any]]:
    """Every change from `before` to `after`: {path, before, after}, where lists of things with an id
    (reps, pools, rules, accounts) are compared by id and a missing side is None."""
    if before == after:
        return []
    if isinstance(before, list) and isinstance(after, list):
        kb, ka = _keyed(before), _keyed(after)
        if kb is not None and ka is not None:
            before, after = kb, ka
    if isinstance(before, dict) and isinstance(after, dict):
        changes = []
        for key in list(dict.fromkeys([*before, *after])):
            sub = f"{path}.{key}" if path else str(key)
            changes += diff(before.get(key), after.get(key), sub)
        return changes
    return [{"path": path or "(top level)", "before": before, "after": after}]
