"""The business rules file (LEADRELAY_CONFIG): scoring rules, reps, pools, routing rules and SLAs,
validated at start-up. A bad file stops the service with a message naming the line and the field."""

import re
import sys
from datetime import date, time
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class NumberRange(Strict):
    min: float | None = None
    max: float | None = None


class Condition(Strict):
    """A test on one field, given as a dotted path. Exactly one of equals / in / range / regex /
    contains."""

    field: str
    equals: Any = None
    in_: list[Any] | None = Field(default=None, alias="in")
    range: NumberRange | None = None
    regex: str | None = None
    contains: str | None = None

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
    def _one_matcher(self) -> "Condition":
        given = [m for m in ("equals", "in_", "range", "regex", "contains") if getattr(self, m) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of equals, in, range, regex, contains")
        return self


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


class Scoring(Strict):
    rules: list[FitRule] = Field(default_factory=list)
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


class WorkingHours(Strict):
    days: list[Weekday] = Field(default_factory=lambda: list(WEEKDAYS[:5]))
    start: time = time(9, 0)
    end: time = time(17, 0)


class DateRange(Strict):
    from_: date = Field(alias="from")
    to: date


class Caps(Strict):
    day: int | None = Field(default=None, ge=0)
    week: int | None = Field(default=None, ge=0)
    month: int | None = Field(default=None, ge=0)


Channel = Literal["slack", "sms", "email"]


class Rep(Strict):
    id: str
    name: str
    slack: str | None = None
    email: str | None = None
    phone: str | None = None
    channels: list[Channel] | None = Field(default=None, description="Where alerts go (default: Slack if set).")
    timezone: str = "UTC"
    active: bool = True
    working_hours: WorkingHours | None = None
    out_of_office: list[DateRange] = Field(default_factory=list)
    caps: Caps = Caps()

    @property
    def targets(self) -> dict[str, str | None]:
        return {"slack": self.slack, "sms": self.phone, "email": self.email}

    @property
    def alert_channels(self) -> list[str]:
        if self.channels is not None:
            return list(self.channels)
        return next(([c] for c in ("slack", "email", "sms") if self.targets[c]), [])

    @model_validator(mode="after")
    def _reachable(self) -> "Rep":
        missing = [c for c in self.channels or [] if not self.targets[c]]
        if missing:
            raise ValueError(f"rep {self.id!r} wants {missing} but has no {', '.join(missing)} address")
        return self

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value


class Member(Strict):
    rep: str
    weight: int = Field(default=1, ge=1, le=12)


class NoOneAvailable(Strict):
    """What happens when nobody in the pool can take the lead: try another pool, or escalate to the
    pool's manager (held with the reason if the pool has no manager)."""

    overflow: str | None = None
    escalate: bool = True


Strategy = Literal["round_robin", "weighted_round_robin", "least_loaded", "account_owner"]


class Pool(Strict):
    id: str
    strategy: Strategy = "round_robin"
    members: list[Member] = Field(min_length=1)
    manager: str | None = None
    when_no_one_available: NoOneAvailable = NoOneAvailable()
    escalation_channels: list[Channel] | None = Field(
        default=None, description="How the manager hears of an escalation (default: the manager's own channels)."
    )

    @field_validator("members", mode="before")
    @classmethod
    def _bare_ids(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"rep": v} if isinstance(v, str) else v for v in value]
        return value

    @property
    def rep_ids(self) -> list[str]:
        return [m.rep for m in self.members]


class RoutingRule(Strict):
    """First match wins. `when` conditions all hold; fields are dotted paths into
    {score, fit, intent, grade, stage, lead: <enriched lead>}."""

    id: str
    when: list[Condition] = Field(default_factory=list)
    pool: str
    sla_minutes: float | None = Field(default=None, gt=0)


class Sla(Strict):
    """Minutes to claim, by the lead's fit letter; a routing rule's sla_minutes takes precedence."""

    by_grade: dict[str, float] = Field(default_factory=lambda: {"A": 5.0, "B": 15.0, "C": 60.0, "D": 240.0})
    default_minutes: float = Field(default=60, gt=0)
    max_attempts: int = Field(default=3, ge=1)

    @field_validator("by_grade")
    @classmethod
    def _letters(cls, value: dict[str, float]) -> dict[str, float]:
        unknown = set(value) - {"A", "B", "C", "D"}
        if unknown:
            raise ValueError(f"grades are A, B, C, D; not {sorted(unknown)}")
        return value


class Account(Strict):
    domain: str
    owner: str


class Routing(Strict):
    default_pool: str
    rules: list[RoutingRule] = Field(default_factory=list)
    route_stages: list[str] = Field(default_factory=lambda: ["sql"])
    sla: Sla = Sla()

    @field_validator("route_stages")
    @classmethod
    def _stages(cls, value: list[str]) -> list[str]:
        unknown = set(value) - {"lead", "mql", "sql"}
        if unknown:
            raise ValueError(f"stages are lead, mql, sql; not {sorted(unknown)}")
        return value


SourceType = Literal[
    "standard_webhooks", "typeform", "calendly", "hubspot", "webflow", "unbounce", "outreach", "meta_lead_ads"
]


class Source(Strict):
    """An inbound webhook source, posted to /v1/webhooks/<id>, with its signing secret (or URL token)."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{1,39}$")
    type: SourceType
    secret: SecretStr = Field(min_length=8)
    verify_token: SecretStr | None = Field(default=None, description="Meta: the subscription handshake token.")
    access_token: SecretStr | None = Field(default=None, description="Meta: page token to read leads.")
    graph_url: str = Field(default="https://graph.facebook.com/v19.0", description="Meta: Graph API base URL.")

    @model_validator(mode="after")
    def _meta_tokens(self) -> "Source":
        if self.type == "meta_lead_ads" and (self.verify_token is None or self.access_token is None):
            raise ValueError("a meta_lead_ads source needs verify_token and access_token")
        return self

    @field_validator("id")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        if value == "generic":
            raise ValueError("'generic' is the built-in unsigned JSON source; pick another id")
        return value


class BusinessConfig(Strict):
    sources: list[Source] = Field(default_factory=list)
    scoring: Scoring = Scoring()
    reps: list[Rep] = Field(default_factory=list)
    pools: list[Pool] = Field(default_factory=list)
    accounts: list[Account] = Field(default_factory=list)
    routing: Routing

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
        for account in self.accounts:
            if account.owner not in rep_ids:
                raise ValueError(f"accounts: {account.domain} owned by unknown rep {account.owner!r}")
        return self

    def pool(self, pool_id: str) -> Pool:
        return next(p for p in self.pools if p.id == pool_id)

    def rep(self, rep_id: str) -> Rep:
        return next(r for r in self.reps if r.id == rep_id)

    def source(self, source_id: str) -> Source | None:
        return next((s for s in self.sources if s.id == source_id), None)


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
