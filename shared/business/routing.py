"""Routing: pools and their strategies, ordered rules, accounts and SLA policy."""

from typing import Any

from pydantic import Field, field_validator

from shared.business.base import Condition, Strict
from shared.business.reps import Channel


class Member(Strict):
    rep: str
    weight: int = Field(default=1, ge=1, le=12)


class NoOneAvailable(Strict):
    """What happens when nobody in the pool can take the lead: try another pool, or escalate to the
    pool's manager (held with the reason if the pool has no manager)."""

    overflow: str | None = None
    escalate: bool = True


class Pool(Strict):
    id: str
    strategy: str = Field(
        default="round_robin",
        pattern=r"^[a-z][a-z0-9_]{0,63}$",
        description="A strategy registered in route (services/route/strategies): round_robin,"
        " weighted_round_robin, least_loaded, account_owner, or one of your own; route refuses to start"
        " with a name it does not know.",
    )
    members: list[Member] = Field(min_length=1)
    manager: str | None = None
    when_no_one_available: NoOneAvailable = NoOneAvailable()
    escalation_channels: list[Channel] | None = Field(
        default=None, description="How the manager hears of an escalation (default: the manager's own channels)."
    )

    @field_validator("members", mode="before", json_schema_input_type=list[Member | str])
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
    """A company account and its owner. A lead matches it by its email's registrable domain (any
    subdomain of `domain` or of one of `domains`), by the same name under another country TLD
    (acme.de for acme.com), or by a company name close to `name`."""

    domain: str
    owner: str
    name: str | None = None
    domains: list[str] = Field(default_factory=list, description="Other domains of the same account.")

    @property
    def all_domains(self) -> list[str]:
        return [self.domain, *self.domains]


class AccountMatching(Strict):
    """How sure enrich must be before route gives a lead to an account's owner."""

    min_confidence: float = Field(default=0.8, ge=0, le=1)
    name_min_similarity: float = Field(default=90, ge=0, le=100, description="rapidfuzz token_sort_ratio.")


class Recycling(Strict):
    """Leads that go back to nurture with the reason, to be routed again when a later score is
    sales-ready and higher than it was when they were recycled."""

    not_a_fit: bool = Field(default=True, description="A lead a rep turns down as not a fit is recycled.")
    stalled_days: float | None = Field(
        default=14, gt=0, description="A claimed lead with no progress event for this many days is recycled."
    )
    check_seconds: float = Field(default=60, gt=0, le=86400, description="How often route looks for stalled leads.")


class Routing(Strict):
    default_pool: str
    rules: list[RoutingRule] = Field(default_factory=list)
    route_stages: list[str] = Field(default_factory=lambda: ["sql"])
    account_matching: AccountMatching = AccountMatching()
    sla: Sla = Sla()
    recycling: Recycling = Recycling()

    @field_validator("route_stages")
    @classmethod
    def _stages(cls, value: list[str]) -> list[str]:
        unknown = set(value) - {"lead", "mql", "sql"}
        if unknown:
            raise ValueError(f"stages are lead, mql, sql; not {sorted(unknown)}")
        return value
