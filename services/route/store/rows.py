"""The rows route's repositories hand to its cores and take back: plain values, no session."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID


@dataclass(frozen=True)
class AssignmentRow:
    id: UUID
    lead_id: UUID
    attempt: int
    outcome: str
    status: str
    pool_id: str
    rep_id: str | None
    event: dict[str, Any]


@dataclass(frozen=True)
class NewAssignment:
    """`decided_at` is the routing clock, so caps count against the same clock that checks them."""

    id: UUID
    lead_id: UUID
    attempt: int
    outcome: str
    status: str
    pool_id: str
    rep_id: str | None
    rule_id: str | None
    reason: str
    trace: list[str]
    sla_due_at: datetime | None
    event: dict[str, Any]
    decided_at: datetime
    debit: int = 0
    """The round-robin credit the rep paid for this pick (given back on a "not mine")."""


@dataclass(frozen=True)
class NurtureRecord:
    """The lead's last nurture decision; `cause` is the lead.scored that recorded it."""

    lead_id: UUID
    reason: str
    stage: str | None
    score: int
    cause: UUID


@dataclass(frozen=True)
class Recycled:
    attempt: int
    score: int
    not_for: frozenset[str]
    """Reps who turned the lead down as not a fit."""


@dataclass(frozen=True)
class ClaimResult:
    found: bool
    claimed_now: bool
    status: str | None = None
    rep_id: str | None = None
    claimed_by: str | None = None
    claimed_at: datetime | None = None
    lead_id: UUID | None = None
    event: dict[str, Any] | None = None


@dataclass(frozen=True)
class Rejected:
    lead_id: UUID
    pool_id: str
    rule_id: str | None
    debit: int
    event: dict[str, Any]
