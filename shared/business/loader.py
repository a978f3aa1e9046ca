"""The business rules file (LEADRELAY_CONFIG) as one validated object: sources and forms, scoring, reps,
pools and routing. A bad file stops the service with a message naming the line and the field."""

import sys
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, ValidationError, model_validator

from shared.business.base import Strict
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
    routing: Routing
    notifications: Notifications = Notifications()
    handoff: Handoff = Handoff()
    channel_options: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Per channel, options its file validates (e.g. salesforce: {fields: ...})."
    )

    @model_validator(mode="after")
    def _references(self) -> "BusinessConfig":
        rep_ids = [r.id for r in self.reps]
        if len(set(rep_ids)) != len(rep_ids):
            raise ValueError("reps: ids must be unique")
        pool_ids = [p.id for p in self.pools]
        if len(set(pool_ids)) != len(pool_ids):
            raise ValueError("pools: ids must be unique")
        for pool in self.pools:
            unknown = [m for m in pool.rep_ids if m not in rep_ids]
            if unknown:
                raise ValueError(f"pools: pool {pool.id!r} names unknown reps {unknown}")
            if pool.manager is not None and pool.manager not in rep_ids:
                raise ValueError(f"pools: pool {pool.id!r} names unknown manager {pool.manager!r}")
            overflow = pool.when_no_one_available.overflow
            if overflow is not None and overflow not in pool_ids:
                raise ValueError(f"pools: pool {pool.id!r} overflows to unknown pool {overflow!r}")
        for rule in self.routing.rules:
            if rule.pool not in pool_ids:
                raise ValueError(f"routing.rules: rule {rule.id!r} sends to unknown pool {rule.pool!r}")
        if self.routing.default_pool not in pool_ids:
            raise ValueError(f"routing.default_pool: no pool named {self.routing.default_pool!r}")
        source_ids = [s.id for s in self.sources]
        if len(set(source_ids)) != len(source_ids):
            raise ValueError("sources: ids must be unique")
        form_ids = [f.id for f in self.forms]
        if len(set(form_ids)) != len(form_ids):
            raise ValueError("forms: ids must be unique")
        for account in self.accounts:
            if account.owner not in rep_ids:
                raise ValueError(f"accounts: {account.domain} owned by unknown rep {account.owner!r}")
        return self

    def pool(self, pool_id: str) -> Pool:
        return next(p for p in self.pools if p.id == pool_id)

    def rep(self, rep_id: str) -> Rep:
        return next(r for r in self.reps if r.id == rep_id)

    @property
    def rep_ids(self) -> set[str]:
        return {r.id for r in self.reps}

    def source(self, source_id: str) -> Source | None:
        return next((s for s in self.sources if s.id == source_id), None)

    def form(self, form_id: str) -> Form | None:
        return next((f for f in self.forms if f.id == form_id), None)


class ConfigError(Exception):
    pass


def _line_of(node: yaml.Node | None, loc: tuple[int | str, ...]) -> int | None:
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
        for err in exc.errors():
            loc = tuple(p for p in err["loc"] if p != "function-after")
            field = ".".join({"in_": "in", "from_": "from"}.get(str(p), str(p)) for p in loc) or "(top level)"
            lines.append(f"{path} line {_line_of(root, loc)}: {field}: {err['msg']}")
        raise ConfigError("invalid config:\n" + "\n".join(lines)) from exc


def load_config_or_exit(path: Path) -> BusinessConfig:
    """For start-up: a bad file stops the process with the message, not a traceback."""
    try:
        return load_config(path)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        raise SystemExit(2) from exc
