"""A batch of events folded into the changes it makes to insights' read model: at most one row per
lead, per assignment and per alert, so each table takes one set-based statement per batch. Pure.

Each fold uses the merge its table's statement applies against the stored row (see projection), so
folding first and merging once gives what merging event by event gave: first touch wins by capture
time, latest wins by time (enrichment, score, nurture, alert status), earliest wins (MQL, SQL, first
alert), the first claim wins, and the last assignment event of an assignment wins."""

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson

from shared.events import (
    EnvelopeBase,
    Event,
    LeadAcknowledgedEvent,
    LeadAssignedEvent,
    LeadCapturedEvent,
    LeadEnrichedEvent,
    LeadNotifiedEvent,
    LeadNurtureEvent,
    LeadScoredEvent,
)

STAGES_AT_LEAST_MQL = ("mql", "sql")


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


@dataclass(frozen=True)
class Captured:
    """A lead's capture: the earliest capture's values win, column by column where it has none."""

    lead_id: UUID
    correlation_id: UUID
    captured_at: datetime
    source: str | None
    campaign: str | None
    name: str | None
    email: str | None
    company: str | None
    title: str | None


_CAPTURED_VALUES = ("source", "campaign", "name", "email", "company", "title")


def merge_captured(old: Captured, new: Captured) -> Captured:
    first, then = (new, old) if new.captured_at < old.captured_at else (old, new)
    values = {c: getattr(first, c) if getattr(first, c) is not None else getattr(then, c) for c in _CAPTURED_VALUES}
    return replace(first, **values)


@dataclass(frozen=True)
class LeadFacts:
    """What enrich, score and route said about a lead; None where the batch said nothing."""

    lead_id: UUID
    enriched_at: datetime | None = None
    enriched: str | None = None
    company: str | None = None
    scored_at: datetime | None = None
    score: int | None = None
    grade: str | None = None
    stage: str | None = None
    reasons: str | None = None
    mql_at: datetime | None = None
    sql_at: datetime | None = None
    nurtured_at: datetime | None = None
    nurture_reason: str | None = None


def _later(old: datetime | None, new: datetime | None) -> bool:
    """Whether a value stamped `new` replaces one stamped `old` (a tie goes to the newer arrival)."""
    return new is not None and (old is None or old <= new)


def _least(a: datetime | None, b: datetime | None) -> datetime | None:
    return min((t for t in (a, b) if t is not None), default=None)


def merge_facts(old: LeadFacts, new: LeadFacts) -> LeadFacts:
    out = old
    if _later(old.enriched_at, new.enriched_at):
        out = replace(out, enriched_at=new.enriched_at, enriched=new.enriched, company=new.company)
    if _later(old.scored_at, new.scored_at):
        out = replace(
            out, scored_at=new.scored_at, score=new.score, grade=new.grade, stage=new.stage, reasons=new.reasons
        )
    if _later(old.nurtured_at, new.nurtured_at):
        out = replace(out, nurtured_at=new.nurtured_at, nurture_reason=new.nurture_reason)
    return replace(out, mql_at=_least(old.mql_at, new.mql_at), sql_at=_least(old.sql_at, new.sql_at))


@dataclass(frozen=True)
class AssignmentChange:
    """One assignment's changes: `assigned` fields replace (the last event wins), claim fields are
    kept once set (the first claim wins), the first alert is the earliest."""

    assignment_id: UUID
    lead_id: UUID
    assigned: dict[str, Any] | None = None
    claimed_at: datetime | None = None
    claimed_by: str | None = None
    claimed_via: str | None = None
    first_alert_at: datetime | None = None


def merge_assignment(old: AssignmentChange, new: AssignmentChange) -> AssignmentChange:
    return AssignmentChange(
        old.assignment_id,
        old.lead_id,
        new.assigned if new.assigned is not None else old.assigned,
        old.claimed_at or new.claimed_at,
        old.claimed_by or new.claimed_by,
        old.claimed_via or new.claimed_via,
        _least(old.first_alert_at, new.first_alert_at),
    )


@dataclass(frozen=True)
class Alert:
    """One alert's (assignment and channel) latest status."""

    assignment_id: UUID
    channel: str
    lead_id: UUID
    status: str
    provider_status: str | None
    at: datetime
    tries: int
    external_id: str | None
    error: str | None


TimelineRow = tuple[UUID, UUID, datetime, str, str, str]


@dataclass
class Changes:
    leads: dict[UUID, tuple[UUID, str | None]] = field(default_factory=dict)
    """Every lead row the batch updates (lead -> correlation id, the first source known)."""
    captured: dict[UUID, Captured] = field(default_factory=dict)
    facts: dict[UUID, LeadFacts] = field(default_factory=dict)
    assignments: dict[UUID, AssignmentChange] = field(default_factory=dict)
    alerts: dict[tuple[UUID, str], Alert] = field(default_factory=dict)
    timeline: dict[UUID, TimelineRow] = field(default_factory=dict)

    def note(self, event: EnvelopeBase, at: datetime, kind: str, summary: str, detail: dict[str, Any]) -> None:
        self.timeline.setdefault(event.event_id, (event.event_id, event.lead_id, at, kind, summary, _json(detail)))

    def touch(self, event: Event, source: str | None) -> None:
        correlation, known = self.leads.get(event.lead_id, (event.correlation_id, None))
        self.leads[event.lead_id] = (correlation, known or source)

    def add_facts(self, facts: LeadFacts) -> None:
        old = self.facts.get(facts.lead_id)
        self.facts[facts.lead_id] = facts if old is None else merge_facts(old, facts)

    def add_assignment(self, change: AssignmentChange) -> None:
        old = self.assignments.get(change.assignment_id)
        self.assignments[change.assignment_id] = change if old is None else merge_assignment(old, change)


def fold(events: Sequence[Event]) -> Changes:
    changes = Changes()
    for event in events:
        match event:
            case LeadCapturedEvent():
                _captured(changes, event)
            case LeadEnrichedEvent():
                _enriched(changes, event)
            case LeadScoredEvent():
                _scored(changes, event)
            case LeadNurtureEvent():
                _nurtured(changes, event)
            case LeadAssignedEvent():
                _assigned(changes, event)
            case LeadAcknowledgedEvent():
                _acknowledged(changes, event)
            case LeadNotifiedEvent():
                _notified(changes, event)
            case _:
                pass
    return changes


def _captured(changes: Changes, event: LeadCapturedEvent) -> None:
    d, f = event.data, event.data.fields
    name = f.name or " ".join(p for p in (f.first_name, f.last_name) if p) or None
    new = Captured(
        event.lead_id,
        event.correlation_id,
        event.origin,
        d.source,
        f.utm.get("campaign"),
        name,
        f.email,
        f.company,
        f.title,
    )
    old = changes.captured.get(event.lead_id)
    changes.captured[event.lead_id] = new if old is None else merge_captured(old, new)
    touched = {k: v for k, v in f.model_dump(exclude_none=True).items() if v not in ({}, [])}
    changes.note(event, event.origin, "captured", f"Captured from {d.source}", {"source": d.source, **touched})


def _enriched(changes: Changes, event: LeadEnrichedEvent) -> None:
    d = event.data
    changes.touch(event, d.source)
    facts = {
        "email": d.email,
        "email_domain": d.email_domain,
        "phone_e164": d.phone_e164,
        "is_free_mail": d.is_free_mail,
        "is_disposable": d.is_disposable,
        "company": d.company.model_dump() if d.company else None,
        "enrichment_sources": d.enrichment_sources,
    }
    changes.add_facts(
        LeadFacts(
            event.lead_id,
            enriched_at=event.occurred_at,
            enriched=_json(facts),
            company=d.company.name if d.company else None,
        )
    )
    company = f"{d.company.name} ({d.company.industry}, {d.company.employees} employees)" if d.company else "unknown"
    flags = [name for name, on in (("free mail", d.is_free_mail), ("disposable", d.is_disposable)) if on]
    summary = f"Enriched: company {company}" + (f"; {', '.join(flags)}" if flags else "")
    changes.note(event, event.occurred_at, "enriched", summary, facts)


def _scored(changes: Changes, event: LeadScoredEvent) -> None:
    d = event.data
    changes.touch(event, d.lead.source)
    at = d.scored_at or event.occurred_at
    reasons = [c.model_dump() for c in d.contributions]
    changes.add_facts(
        LeadFacts(
            event.lead_id,
            scored_at=at,
            score=d.total,
            grade=d.grade,
            stage=d.stage,
            reasons=_json(reasons),
            mql_at=at if d.stage in STAGES_AT_LEAST_MQL else None,
            sql_at=at if d.stage == "sql" else None,
        )
    )
    summary = f"Scored {d.total} (fit {d.fit}, intent {d.intent}; grade {d.grade or '-'}, stage {d.stage or '-'})"
    detail = {"total": d.total, "stage": d.stage, "reasons": reasons, "config_version": d.config_version}
    changes.note(event, at, "scored", summary, detail)


def _nurtured(changes: Changes, event: LeadNurtureEvent) -> None:
    d = event.data
    changes.touch(event, None)
    changes.add_facts(LeadFacts(event.lead_id, nurtured_at=event.occurred_at, nurture_reason=d.reason))
    summary = f"Sent to nurture: {d.reason} (score {d.score})"
    changes.note(event, event.occurred_at, "nurture", summary, d.model_dump(mode="json"))


def _assigned(changes: Changes, event: LeadAssignedEvent) -> None:
    a = event.data
    changes.touch(event, a.lead.source)
    assigned = {
        "attempt": a.attempt,
        "outcome": a.outcome,
        "pool_id": a.pool_id,
        "rep_id": a.rep.id,
        "rule_id": a.rule_id,
        "reason": a.reason,
        "trace": _json(a.trace),
        "assigned_at": event.occurred_at,
        "lead_arrived_at": a.lead_arrived_at,
        "sla_due_at": a.sla_due_at,
    }
    changes.add_assignment(AssignmentChange(a.assignment_id, event.lead_id, assigned=assigned))
    verb = "Escalated to" if a.outcome == "escalated" else "Assigned to"
    summary = f"{verb} {a.rep.name} (attempt {a.attempt}, pool {a.pool_id or '-'}): {a.reason}"
    detail = {
        "assignment_id": str(a.assignment_id),
        "rep_id": a.rep.id,
        "trace": a.trace,
        "sla_due_at": a.sla_due_at.isoformat() if a.sla_due_at else None,
        "config_version": a.config_version,
    }
    changes.note(event, event.occurred_at, a.outcome, summary, detail)


def _acknowledged(changes: Changes, event: LeadAcknowledgedEvent) -> None:
    d = event.data
    changes.touch(event, None)
    changes.add_assignment(
        AssignmentChange(
            d.assignment_id, event.lead_id, claimed_at=d.claimed_at, claimed_by=d.rep_id, claimed_via=d.via
        )
    )
    changes.note(event, d.claimed_at, "claimed", f"Claimed by {d.rep_id} via {d.via}", {})


def _notified(changes: Changes, event: LeadNotifiedEvent) -> None:
    d = event.data
    changes.touch(event, None)
    key = (d.assignment_id, d.channel)
    new = Alert(
        d.assignment_id, d.channel, event.lead_id, d.status, d.provider_status, d.at, d.tries, d.external_id, d.error
    )
    old = changes.alerts.get(key)
    if old is None or old.at <= new.at:
        changes.alerts[key] = new
    if d.status == "sent" and d.alert:
        changes.add_assignment(AssignmentChange(d.assignment_id, event.lead_id, first_alert_at=d.at))
    status = d.provider_status or d.status
    what = "alert to" if d.alert else "owner write-back for"
    summary = f"{d.channel} {what} {d.rep_id}: {status}" + (f" ({d.error})" if d.error else "")
    changes.note(event, d.at, "alert", summary, d.model_dump(mode="json"))


ASSIGNED_COLUMNS = (
    "attempt",
    "outcome",
    "pool_id",
    "rep_id",
    "rule_id",
    "reason",
    "trace",
    "assigned_at",
    "lead_arrived_at",
    "sla_due_at",
)
"""The columns a lead.assigned sets, in the assignments table's order; `trace` is JSON."""
