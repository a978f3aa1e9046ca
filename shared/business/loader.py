"""The business rules file (LEADRELAY_CONFIG) as one validated object: sources and forms, scoring, reps,
pools and routing. A bad file stops the service with a message naming the line and the field."""

import sys
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, PrivateAttr, ValidationError, model_validator

from shared.business.base import Strict
from shared.business.holidays import Holiday
from shared.business.notifications import Handoff, Notifications
from shared.business.reps import Rep
from shared.business.routing import Account, Pool, Routing
from shared.business.scoring import Scoring
from shared.business.sources import Form, Source


class BusinessConfig(Strict):
    sources: list[Source] = Field(default_factory=list)
    forms: list[Form] = Field(default_factory=list)
    scoring: Scoring = Scoring()
    reps: list[Rep] = Field(default_factory=list)
    pools: list[Pool] = Field(default_factory=list)
    accounts: list[Account] = Field(default_factory=list)
    holidays: dict[str, list[Holiday]] = Field(
        default_factory=dict, description="Public holidays per region; reps name theirs with `region`."
    )
    routing: Routing
    notifications: Notifications = Notifications()
    handoff: Handoff = Handoff()
    channel_options: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Per channel, options its file validates (e.g. salesforce: {fields: ...})."
    )
    _version: int = PrivateAttr(default=0)

    @property
    def version(self) -> int:
        """The published routing version this config was made from (0: the YAML file's own)."""
        return self._version

    def at_version(self, version: int) -> "BusinessConfig":
        stamped = self.model_copy()
        stamped._version = version
        return stamped

    @model_validator(mode="after")
    def _references(self) -> "BusinessConfig":
        """Every cross-reference problem at once, one line each, led by the field's dotted path (the
        loader finds its YAML line from it; the config API answers it as the field)."""
        problems = cross_reference_problems(self)
        if problems:
            raise ValueError("\n".join(f"{path}: {message}" for path, message in problems))
        return self

    def pool(self, pool_id: str) -> Pool:
        return next(p for p in self.pools if p.id == pool_id)

    def rep(self, rep_id: str) -> Rep:
        return next(r for r in self.reps if r.id == rep_id)

    def holidays_of(self, rep: Rep) -> list[Holiday]:
        return self.holidays.get(rep.region, []) if rep.region else []

    @property
    def rep_ids(self) -> set[str]:
        return {r.id for r in self.reps}

    def source(self, source_id: str) -> Source | None:
        return next((s for s in self.sources if s.id == source_id), None)

    def form(self, form_id: str) -> Form | None:
        return next((f for f in self.forms if f.id == form_id), None)


def _duplicates(kind: str, ids: list[str]) -> list[tuple[str, str]]:
    seen: set[str] = set()
    problems = []
    for i, id_ in enumerate(ids):
        if id_ in seen:
            problems.append((f"{kind}.{i}.id", f"{id_!r} is used twice; ids must be unique"))
        seen.add(id_)
    return problems


def cross_reference_problems(config: BusinessConfig) -> list[tuple[str, str]]:
    """(dotted path, message) for each id used twice and each reference to something not defined."""
    rep_ids, pool_ids = config.rep_ids, {p.id for p in config.pools}
    problems = _duplicates("reps", [r.id for r in config.reps]) + _duplicates("pools", [p.id for p in config.pools])
    for i, pool in enumerate(config.pools):
        at = f"pools.{i}"
        problems += [
            (f"{at}.members.{j}.rep", f"pool {pool.id!r} names unknown rep {m.rep!r}")
            for j, m in enumerate(pool.members)
            if m.rep not in rep_ids
        ]
        if pool.manager is not None and pool.manager not in rep_ids:
            problems.append((f"{at}.manager", f"pool {pool.id!r} names unknown manager {pool.manager!r}"))
        overflow = pool.when_no_one_available.overflow
        if overflow is not None and overflow not in pool_ids:
            problems.append(
                (f"{at}.when_no_one_available.overflow", f"pool {pool.id!r} overflows to unknown pool {overflow!r}")
            )
    problems += [
        (f"routing.rules.{i}.pool", f"rule {rule.id!r} sends to unknown pool {rule.pool!r}")
        for i, rule in enumerate(config.routing.rules)
        if rule.pool not in pool_ids
    ]
    if config.routing.default_pool not in pool_ids:
        problems.append(("routing.default_pool", f"no pool named {config.routing.default_pool!r}"))
    problems += _duplicates("sources", [s.id for s in config.sources]) + _duplicates(
        "forms", [f.id for f in config.forms]
    )
    problems += [
        (f"reps.{i}.region", f"rep {r.id!r} names region {r.region!r}, which `holidays` does not list")
        for i, r in enumerate(config.reps)
        if r.region is not None and r.region not in config.holidays
    ]
    problems += [
        (f"accounts.{i}.owner", f"{a.domain} owned by unknown rep {a.owner!r}")
        for i, a in enumerate(config.accounts)
        if a.owner not in rep_ids
    ]
    return problems


class ConfigError(Exception):
    pass


def line_of(node: yaml.Node | None, loc: tuple[int | str, ...]) -> int | None:
    """Follow a pydantic error location through the YAML node tree to the line it came from."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            key = {"in_": "in", "from_": "from"}.get(str(part), part)
            node = next((v for k, v in node.value if k.value == key), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            break
        if node is None:
            break
        line = node.start_mark.line + 1
    return line


def _spelled(part: int | str) -> str:
    return {"in_": "in", "from_": "from"}.get(str(part), str(part))


def field_errors(exc: ValidationError) -> list[tuple[tuple[int | str, ...], str, str]]:
    """(location, dotted field as the YAML spells it, message) per problem; a cross-reference error,
    raised for the whole config, is split into its lines, each located by the path leading it."""
    found = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if p != "function-after")
        message = str(err["msg"]).removeprefix("Value error, ")
        if loc:
            found.append((loc, ".".join(_spelled(p) for p in loc), message))
            continue
        for line in message.splitlines():
            head, sep, rest = line.partition(": ")
            if sep and head and " " not in head:
                parts = tuple(int(p) if p.isdigit() else p for p in head.split("."))
                found.append((parts, head, rest))
            else:
                found.append(((), "(top level)", line))
    return found


def load_config(path: Path) -> BusinessConfig:
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config file: {exc}") from exc
    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    try:
        return BusinessConfig.model_validate(data or {})
    except ValidationError as exc:
        lines = []
        for loc, field, message in field_errors(exc):
            lines.append(f"{path} line {line_of(root, loc)}: {field}: {message}")
        raise ConfigError("invalid config:\n" + "\n".join(lines)) from exc


def load_config_or_exit(path: Path) -> BusinessConfig:
    """For start-up: a bad file stops the process with the message, not a traceback."""
    try:
        return load_config(path)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        raise SystemExit(2) from exc
