"""The business rules file (LEADRELAY_CONFIG): scoring rules, reps, pools and routing, validated at
start-up. A bad file stops the service with a message naming the line and the field."""

import re
import sys
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator


class Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class NumberRange(Strict):
    min: float | None = None
    max: float | None = None


class FitRule(Strict):
    """Points when a lead field matches. `field` is a dotted path into the enriched lead,
    e.g. `company.industry`, `email_domain`, `fields.title`, `is_free_mail`."""

    id: str
    field: str
    points: int
    why: str | None = None
    equals: Any = None
    in_: list[Any] | None = Field(default=None, alias="in")
    range: NumberRange | None = None
    regex: str | None = None

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"not a valid regular expression: {exc}") from exc
        return value

    @model_validator(mode="after")
    def _one_matcher(self) -> "FitRule":
        given = [m for m in ("equals", "in_", "range", "regex") if getattr(self, m) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of equals, in, range, regex")
        return self


class Thresholds(Strict):
    mql: int = 40
    sql: int = 70


class Scoring(Strict):
    rules: list[FitRule] = Field(default_factory=list)
    thresholds: Thresholds = Thresholds()


class Rep(Strict):
    id: str
    name: str
    slack: str | None = None
    email: str | None = None
    phone: str | None = None
    timezone: str = "UTC"
    active: bool = True


class Pool(Strict):
    id: str
    strategy: Literal["round_robin"] = "round_robin"
    members: list[str] = Field(min_length=1)


class Routing(Strict):
    default_pool: str


class BusinessConfig(Strict):
    scoring: Scoring = Scoring()
    reps: list[Rep] = Field(default_factory=list)
    pools: list[Pool] = Field(default_factory=list)
    routing: Routing

    @model_validator(mode="after")
    def _references(self) -> "BusinessConfig":
        rep_ids = [r.id for r in self.reps]
        if len(set(rep_ids)) != len(rep_ids):
            raise ValueError("reps: ids must be unique")
        pool_ids = {p.id for p in self.pools}
        for pool in self.pools:
            unknown = [m for m in pool.members if m not in rep_ids]
            if unknown:
                raise ValueError(f"pools: pool {pool.id!r} names unknown reps {unknown}")
        if self.routing.default_pool not in pool_ids:
            raise ValueError(f"routing.default_pool: no pool named {self.routing.default_pool!r}")
        return self

    def pool(self, pool_id: str) -> Pool:
        return next(p for p in self.pools if p.id == pool_id)


class ConfigError(Exception):
    pass


def _line_of(node: yaml.Node | None, loc: tuple[int | str, ...]) -> int | None:
    """Follow a pydantic error location through the YAML node tree to the line it came from."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            key = "in" if part == "in_" else part
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
            field = ".".join("in" if p == "in_" else str(p) for p in loc) or "(top level)"
            lines.append(f"{path} line {_line_of(root, loc)}: {field}: {err['msg']}")
        raise ConfigError("invalid config:\n" + "\n".join(lines)) from exc


def load_config_or_exit(path: Path) -> BusinessConfig:
    """For start-up: a bad file stops the process with the message, not a traceback."""
    try:
        return load_config(path)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        raise SystemExit(2) from exc
