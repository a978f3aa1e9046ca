"""Every topic -> insights' read model (schema `insights`). A projection: each event is merged so the
result does not depend on the order events arrive in (a lead's events come on different topics,
read in any order), and a repeated event changes nothing. So replaying from offset 0 into empty
tables gives the same read model, and the same reports.

Merges: first touch wins by time (source, campaign), latest wins by time (score, alert status),
earliest wins (MQL, SQL, first alert), first claim wins. One timeline row per event, by event_id.

Per batch, the lead rows every event needs are made in one statement first (`ensure_leads`) and the
timeline rows are written in one statement last (`Timeline.write`): before, each event paid two
round trips for them, most of insights' time at load (py-spy, bench/results/profiles)."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

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


TimelineRow = tuple[UUID, UUID, datetime, str, str, str]


class Timeline:
    """A batch's timeline rows (event id, lead, at, kind, summary, detail JSON), written at its end."""

    def __init__(self) -> None:
        self._rows: dict[UUID, TimelineRow] = {}

    def add(self, event: EnvelopeBase, at: datetime, kind: str, summary: str, detail: dict[str, Any]) -> None:
        self._rows.setdefault(event.event_id, (event.event_id, event.lead_id, at, kind, summary, _json(detail)))

    async def write(self, session: AsyncSession) -> None:
        if not self._rows:
            return
        columns = list(zip(*self._rows.values(), strict=True))
        await session.execute(
            text(
                "INSERT INTO insights.timeline (event_id, lead_id, at, kind, summary, detail)"
                " SELECT e, l, a, k, s, CAST(d AS jsonb) FROM unnest(CAST(:e AS uuid[]), CAST(:l AS uuid[]),"
                " CAST(:a AS timestamptz[]), CAST(:k AS text[]), CAST(:s AS text[]), CAST(:d AS text[]))"
                " AS r(e, l, a, k, s, d) ON CONFLICT (event_id) DO NOTHING"
            ),
            {k: list(v) for k, v in zip("elaksd", columns, strict=True)},
        )


def _row_needed(event: Event) -> tuple[bool, str | None]:
    """Whether the event updates its lead's row (which must exist: it may come before lead.captured),
    and the source it knows. lead.captured makes its own row."""
    match event:
        case LeadEnrichedEvent():
            return True, event.data.source
        case LeadScoredEvent():
            return True, event.data.lead.source
        case LeadAssignedEvent():
            return True, event.data.lead.source
        case LeadNurtureEvent() | LeadAcknowledgedEvent() | LeadNotifiedEvent():
            return True, None
        case _:
            return False, None


async def ensure_leads(session: AsyncSession, events: Sequence[Event]) -> None:
    """Every lead row the batch's events update, in one statement; a known source is kept (the first
    one a row gets, as when each event made sure of its row in turn)."""
    rows: dict[UUID, tuple[UUID, str | None]] = {}
    for event in events:
        needed, source = _row_needed(event)
        if not needed:
            continue
        correlation, known = rows.get(event.lead_id, (event.correlation_id, None))
        rows[event.lead_id] = (correlation, known or source)
    if not rows:
        return
    await session.execute(
        text(
            "INSERT INTO insights.leads (lead_id, correlation_id, source)"
            " SELECT * FROM unnest(CAST(:l AS uuid[]), CAST(:c AS uuid[]), CAST(:s AS text[]))"
            " ON CONFLICT (lead_id) DO UPDATE SET source = coalesce(insights.leads.source, EXCLUDED.source)"
        ),
        {"l": list(rows), "c": [c for c, _ in rows.values()], "s": [s for _, s in rows.values()]},
    )


def _first(column: str) -> str:
    """SET clause: the value from whichever capture came first."""
    return (
        f"{column} = CASE WHEN l.captured_at IS NULL OR EXCLUDED.captured_at < l.captured_at"
        f" THEN coalesce(EXCLUDED.{column}, l.{column}) ELSE coalesce(l.{column}, EXCLUDED.{column}) END"
    )


async def captured(session: AsyncSession, event: LeadCapturedEvent, timeline: Timeline) -> None:
    d, f = event.data, event.data.fields
    at = event.origin
    name = f.name or " ".join(p for p in (f.first_name, f.last_name) if p) or None
    await session.execute(
        text(
            "INSERT INTO insights.leads AS l (lead_id, correlation_id, source, campaign, captured_at, name, email,"
            " company, title) VALUES (:l, :c, :s, :cp, :at, :n, :e, :co, :t) ON CONFLICT (lead_id) DO UPDATE SET "
            + ", ".join(_first(c) for c in ("source", "campaign", "name", "email", "company", "title"))
            + ", captured_at = least(l.captured_at, EXCLUDED.captured_at)"
        ),
        {
            "l": event.lead_id,
            "c": event.correlation_id,
            "s": d.source,
            "cp": f.utm.get("campaign"),
            "at": at,
            "n": name,
            "e": f.email,
            "co": f.company,
            "t": f.title,
        },
    )
    touched = {k: v for k, v in f.model_dump(exclude_none=True).items() if v not in ({}, [])}
    timeline.add(event, at, "captured", f"Captured from {d.source}", {"source": d.source, **touched})


async def enriched(session: AsyncSession, event: LeadEnrichedEvent, timeline: Timeline) -> None:
    d = event.data
    facts = {
        "email": d.email,
        "email_domain": d.email_domain,
        "phone_e164": d.phone_e164,
        "is_free_mail": d.is_free_mail,
        "is_disposable": d.is_disposable,
        "company": d.company.model_dump() if d.company else None,
        "enrichment_sources": d.enrichment_sources,
    }
    await session.execute(
        text(
            "UPDATE insights.leads SET enriched = CAST(:f AS jsonb), enriched_at = :at,"
            " company = coalesce(:co, company) WHERE lead_id = :l AND (enriched_at IS NULL OR enriched_at <= :at)"
        ),
        {"l": event.lead_id, "f": _json(facts), "at": event.occurred_at, "co": d.company.name if d.company else None},
    )
    company = f"{d.company.name} ({d.company.industry}, {d.company.employees} employees)" if d.company else "unknown"
    flags = [name for name, on in (("free mail", d.is_free_mail), ("disposable", d.is_disposable)) if on]
    summary = f"Enriched: company {company}" + (f"; {', '.join(flags)}" if flags else "")
    timeline.add(event, event.occurred_at, "enriched", summary, facts)


async def scored(session: AsyncSession, event: LeadScoredEvent, timeline: Timeline) -> None:
    d = event.data
    at = d.scored_at or event.occurred_at
    reasons = [c.model_dump() for c in d.contributions]
    qualified = d.stage in STAGES_AT_LEAST_MQL
    await session.execute(
        text(
            "UPDATE insights.leads SET"
            " score = CASE WHEN scored_at IS NULL OR scored_at <= :at THEN :sc ELSE score END,"
            " grade = CASE WHEN scored_at IS NULL OR scored_at <= :at THEN :g ELSE grade END,"
            " stage = CASE WHEN scored_at IS NULL OR scored_at <= :at THEN :st ELSE stage END,"
            " reasons = CASE WHEN scored_at IS NULL OR scored_at <= :at THEN CAST(:r AS jsonb) ELSE reasons END,"
            " scored_at = greatest(scored_at, :at),"
            " mql_at = CASE WHEN :q THEN least(mql_at, :at) ELSE mql_at END,"
            " sql_at = CASE WHEN :s THEN least(sql_at, :at) ELSE sql_at END"
            " WHERE lead_id = :l"
        ),
        {
            "l": event.lead_id,
            "at": at,
            "sc": d.total,
            "g": d.grade,
            "st": d.stage,
            "r": _json(reasons),
            "q": qualified,
            "s": d.stage == "sql",
        },
    )
    summary = f"Scored {d.total} (fit {d.fit}, intent {d.intent}; grade {d.grade or '-'}, stage {d.stage or '-'})"
    timeline.add(event, at, "scored", summary, {"total": d.total, "stage": d.stage, "reasons": reasons})


async def nurtured(session: AsyncSession, event: LeadNurtureEvent, timeline: Timeline) -> None:
    await session.execute(
        text(
            "UPDATE insights.leads SET nurture_reason = CASE WHEN nurtured_at IS NULL OR nurtured_at <= :at"
            " THEN :r ELSE nurture_reason END, nurtured_at = greatest(nurtured_at, :at) WHERE lead_id = :l"
        ),
        {"l": event.lead_id, "at": event.occurred_at, "r": event.data.reason},
    )
    d = event.data
    summary = f"Sent to nurture: {d.reason} (score {d.score})"
    timeline.add(event, event.occurred_at, "nurture", summary, d.model_dump(mode="json"))


async def assigned(session: AsyncSession, event: LeadAssignedEvent, timeline: Timeline) -> None:
    a = event.data
    await session.execute(
        text(
            "INSERT INTO insights.assignments (assignment_id, lead_id, attempt, outcome, pool_id, rep_id, rule_id,"
            " reason, trace, assigned_at, lead_arrived_at, sla_due_at)"
            " VALUES (:a, :l, :n, :o, :p, :r, :ru, :re, CAST(:t AS jsonb), :at, :ar, :due)"
            " ON CONFLICT (assignment_id) DO UPDATE SET attempt = EXCLUDED.attempt, outcome = EXCLUDED.outcome,"
            " pool_id = EXCLUDED.pool_id, rep_id = EXCLUDED.rep_id, rule_id = EXCLUDED.rule_id,"
            " reason = EXCLUDED.reason, trace = EXCLUDED.trace, assigned_at = EXCLUDED.assigned_at,"
            " lead_arrived_at = EXCLUDED.lead_arrived_at, sla_due_at = EXCLUDED.sla_due_at"
        ),
        {
            "a": a.assignment_id,
            "l": event.lead_id,
            "n": a.attempt,
            "o": a.outcome,
            "p": a.pool_id,
            "r": a.rep.id,
            "ru": a.rule_id,
            "re": a.reason,
            "t": _json(a.trace),
            "at": event.occurred_at,
            "ar": a.lead_arrived_at,
            "due": a.sla_due_at,
        },
    )
    verb = "Escalated to" if a.outcome == "escalated" else "Assigned to"
    summary = f"{verb} {a.rep.name} (attempt {a.attempt}, pool {a.pool_id or '-'}): {a.reason}"
    detail = {
        "assignment_id": str(a.assignment_id),
        "rep_id": a.rep.id,
        "trace": a.trace,
        "sla_due_at": a.sla_due_at.isoformat() if a.sla_due_at else None,
    }
    timeline.add(event, event.occurred_at, a.outcome, summary, detail)


async def acknowledged(session: AsyncSession, event: LeadAcknowledgedEvent, timeline: Timeline) -> None:
    d = event.data
    await session.execute(
        text(
            "INSERT INTO insights.assignments (assignment_id, lead_id, claimed_at, claimed_by, claimed_via)"
            " VALUES (:a, :l, :at, :by, :via) ON CONFLICT (assignment_id) DO UPDATE SET"
            " claimed_at = coalesce(insights.assignments.claimed_at, EXCLUDED.claimed_at),"
            " claimed_by = coalesce(insights.assignments.claimed_by, EXCLUDED.claimed_by),"
            " claimed_via = coalesce(insights.assignments.claimed_via, EXCLUDED.claimed_via)"
        ),
        {"a": d.assignment_id, "l": event.lead_id, "at": d.claimed_at, "by": d.rep_id, "via": d.via},
    )
    timeline.add(event, d.claimed_at, "claimed", f"Claimed by {d.rep_id} via {d.via}", {})


async def notified(session: AsyncSession, event: LeadNotifiedEvent, timeline: Timeline) -> None:
    d = event.data
    await session.execute(
        text(
            "INSERT INTO insights.alerts AS x (assignment_id, channel, lead_id, status, provider_status, at, tries,"
            " external_id, error) VALUES (:a, :ch, :l, :s, :ps, :at, :n, :x, :e)"
            " ON CONFLICT (assignment_id, channel) DO UPDATE SET status = EXCLUDED.status,"
            " provider_status = EXCLUDED.provider_status, at = EXCLUDED.at, tries = EXCLUDED.tries,"
            " external_id = EXCLUDED.external_id, error = EXCLUDED.error WHERE x.at <= EXCLUDED.at"
        ),
        {
            "a": d.assignment_id,
            "ch": d.channel,
            "l": event.lead_id,
            "s": d.status,
            "ps": d.provider_status,
            "at": d.at,
            "n": d.tries,
            "x": d.external_id,
            "e": d.error,
        },
    )
    if d.status == "sent" and d.alert:
        await session.execute(
            text(
                "INSERT INTO insights.assignments (assignment_id, lead_id, first_alert_at) VALUES (:a, :l, :at)"
                " ON CONFLICT (assignment_id) DO UPDATE SET"
                " first_alert_at = least(insights.assignments.first_alert_at, EXCLUDED.first_alert_at)"
            ),
            {"a": d.assignment_id, "l": event.lead_id, "at": d.at},
        )
    status = d.provider_status or d.status
    what = "alert to" if d.alert else "owner write-back for"
    summary = f"{d.channel} {what} {d.rep_id}: {status}" + (f" ({d.error})" if d.error else "")
    timeline.add(event, d.at, "alert", summary, d.model_dump(mode="json"))


async def project(session: AsyncSession, event: Event, timeline: Timeline) -> None:
    """One event's changes; its lead row exists (ensure_leads) and its timeline row goes to `timeline`."""
    match event:
        case LeadCapturedEvent():
            await captured(session, event, timeline)
        case LeadEnrichedEvent():
            await enriched(session, event, timeline)
        case LeadScoredEvent():
            await scored(session, event, timeline)
        case LeadNurtureEvent():
            await nurtured(session, event, timeline)
        case LeadAssignedEvent():
            await assigned(session, event, timeline)
        case LeadAcknowledgedEvent():
            await acknowledged(session, event, timeline)
        case LeadNotifiedEvent():
            await notified(session, event, timeline)
        case _:
            pass


READ_MODEL_TABLES: Sequence[str] = ("insights.timeline", "insights.alerts", "insights.assignments", "insights.leads")


async def clear(session: AsyncSession) -> None:
    """Empty the read model, for a rebuild from offset 0."""
    await session.execute(text(f"TRUNCATE {', '.join(READ_MODEL_TABLES)}"))


async def lock_leads(session: AsyncSession, leads: Sequence[UUID]) -> None:
    """Transaction-scoped locks on the batch's leads, taken in one order: batches from different
    topics touching the same leads then queue instead of deadlocking."""
    keys = sorted({(lead.int >> 65) - (1 << 62) for lead in leads})
    await session.execute(
        text("SELECT pg_advisory_xact_lock(k) FROM (SELECT unnest(CAST(:k AS bigint[])) AS k ORDER BY k) AS s"),
        {"k": keys},
    )
