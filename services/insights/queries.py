"""Read-model queries: the filtered rows the reports are computed from, a lead's page, the live feed."""

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.insights.reports import AssignmentRow, LeadRow
from shared.time_bounds import EARLIEST, BoundedDate

NAME = r"^[A-Za-z0-9_.:@ -]{1,100}$"

MAX_RANGE = timedelta(days=366)
"""A report reads its leads into memory: at most a year (and a day) of them."""


class ReportFilters(BaseModel):
    """Leads captured from `start` to `end` (UTC days, both included; at most 366 days, by default the
    366 before `end` or today), optionally of one source and utm campaign, and routed at least once
    to one pool or rep."""

    model_config = ConfigDict(extra="forbid")
    start: BoundedDate | None = None
    end: BoundedDate | None = Field(default=None, validate_default=True)
    source: str | None = Field(default=None, pattern=NAME)
    campaign: str | None = Field(default=None, pattern=NAME)
    pool: str | None = Field(default=None, pattern=NAME)
    rep: str | None = Field(default=None, pattern=NAME)

    @field_validator("end")
    @classmethod
    def _after_start_within_range(cls, end: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("start")
        if start is not None:
            last = end or datetime.now(UTC).date()
            if last < start:
                raise ValueError("end is before start")
            if last - start > MAX_RANGE:
                raise ValueError(f"a report covers at most {MAX_RANGE.days} days after start")
        return end

    @model_validator(mode="after")
    def _default_start(self) -> "ReportFilters":
        if self.start is None:
            self.start = max((self.end or datetime.now(UTC).date()) - MAX_RANGE, EARLIEST)
        return self

    def params(self) -> dict[str, str]:
        return {k: str(v) for k, v in self.model_dump().items() if v not in (None, "")}


def _where(f: ReportFilters) -> tuple[str, dict[str, Any]]:
    clauses = ["TRUE"]
    params: dict[str, Any] = {}
    if f.start:
        clauses.append("l.captured_at >= :start")
        params["start"] = datetime.combine(f.start, time(0), tzinfo=UTC)
    if f.end:
        clauses.append("l.captured_at < :end")
        params["end"] = datetime.combine(f.end + timedelta(days=1), time(0), tzinfo=UTC)
    if f.source:
        clauses.append("l.source = :source")
        params["source"] = f.source
    if f.campaign:
        clauses.append("l.campaign = :campaign")
        params["campaign"] = f.campaign
    for name in ("pool", "rep"):
        value = getattr(f, name)
        if value:
            clauses.append(
                f"EXISTS (SELECT 1 FROM insights.assignments x WHERE x.lead_id = l.lead_id AND x.{name}_id = :{name})"
            )
            params[name] = value
    return " AND ".join(clauses), params


async def report_rows(session: AsyncSession, f: ReportFilters) -> tuple[list[LeadRow], list[AssignmentRow]]:
    where, params = _where(f)
    leads = [
        LeadRow(r.lead_id, r.source, r.campaign, r.captured_at, r.mql_at, r.sql_at, r.nurtured_at)
        for r in await session.execute(
            text(
                "SELECT lead_id, source, campaign, captured_at, mql_at, sql_at, nurtured_at FROM insights.leads l"
                f" WHERE {where} ORDER BY lead_id"
            ),
            params,
        )
    ]
    assignments = [
        AssignmentRow(
            r.assignment_id,
            r.lead_id,
            r.attempt,
            r.outcome,
            r.pool_id,
            r.rep_id,
            r.assigned_at,
            r.lead_arrived_at,
            r.sla_due_at,
            r.first_alert_at,
            r.claimed_at,
            r.claimed_by,
        )
        for r in await session.execute(
            text(
                "SELECT a.assignment_id, a.lead_id, a.attempt, a.outcome, a.pool_id, a.rep_id, a.assigned_at,"
                " a.lead_arrived_at, a.sla_due_at, a.first_alert_at, a.claimed_at, a.claimed_by"
                f" FROM insights.assignments a JOIN insights.leads l ON l.lead_id = a.lead_id WHERE {where}"
                " ORDER BY a.lead_id, a.attempt"
            ),
            params,
        )
    ]
    return leads, assignments


async def recent_assignments(session: AsyncSession, since: datetime) -> list[AssignmentRow]:
    """Assignments decided since `since` (the SLA gauges look at the last day)."""
    rows = await session.execute(
        text(
            "SELECT assignment_id, lead_id, attempt, outcome, pool_id, rep_id, assigned_at, lead_arrived_at,"
            " sla_due_at, first_alert_at, claimed_at, claimed_by FROM insights.assignments WHERE assigned_at >= :s"
        ),
        {"s": since},
    )
    return [AssignmentRow(*r) for r in rows]


def _doc(value: Any) -> Any:
    return orjson.loads(value) if isinstance(value, str | bytes) else value


async def lead_page(session: AsyncSession, lead_id: UUID) -> dict[str, Any] | None:
    lead = (await session.execute(text("SELECT * FROM insights.leads WHERE lead_id = :l"), {"l": lead_id})).first()
    if lead is None:
        return None
    timeline = await session.execute(
        text("SELECT at, kind, summary, detail FROM insights.timeline WHERE lead_id = :l ORDER BY at, kind"),
        {"l": lead_id},
    )
    assignments = await session.execute(
        text("SELECT * FROM insights.assignments WHERE lead_id = :l ORDER BY attempt NULLS LAST"), {"l": lead_id}
    )
    alerts = await session.execute(text("SELECT * FROM insights.alerts WHERE lead_id = :l ORDER BY at"), {"l": lead_id})
    row = dict(lead._mapping)
    row["enriched"] = _doc(row["enriched"])
    row["reasons"] = _doc(row["reasons"]) or []
    return {
        "lead": row,
        "timeline": [{**dict(t._mapping), "detail": _doc(t.detail)} for t in timeline],
        "assignments": [{**dict(a._mapping), "trace": _doc(a.trace) or []} for a in assignments],
        "alerts": [dict(a._mapping) for a in alerts],
    }


VISIBLE_TO_REP = (
    "(EXISTS (SELECT 1 FROM insights.assignments c WHERE c.lead_id = {lead}"
    " AND (c.claimed_by = :rep OR (c.rep_id = :rep AND c.claimed_at IS NOT NULL)))"
    " OR (SELECT n.rep_id FROM insights.assignments n WHERE n.lead_id = {lead}"
    " ORDER BY n.assigned_at DESC NULLS LAST, n.attempt DESC NULLS LAST LIMIT 1) = :rep)"
)
"""A rep sees a lead while it is theirs (its latest assignment, an escalation included, is to them)
or once they claimed it; a lead reassigned away from them before they claimed it is not theirs."""


async def live(session: AsyncSession, rep: str | None, limit: int = 50) -> list[dict[str, Any]]:
    """The latest leads with the time each stage was reached (a rep sees only their own)."""
    mine = f" WHERE {VISIBLE_TO_REP.format(lead='l.lead_id')}" if rep else ""
    rows = await session.execute(
        text(
            "SELECT l.lead_id, l.name, l.email, l.company, l.source, l.score, l.stage, l.captured_at, l.enriched_at,"
            " l.scored_at, l.nurtured_at,"
            " (SELECT min(assigned_at) FROM insights.assignments a WHERE a.lead_id = l.lead_id) AS assigned_at,"
            " (SELECT min(first_alert_at) FROM insights.assignments a WHERE a.lead_id = l.lead_id) AS alerted_at,"
            " (SELECT min(claimed_at) FROM insights.assignments a WHERE a.lead_id = l.lead_id) AS claimed_at,"
            " (SELECT rep_id FROM insights.assignments a WHERE a.lead_id = l.lead_id AND a.attempt IS NOT NULL"
            "  ORDER BY attempt DESC LIMIT 1) AS owner"
            f" FROM insights.leads l{mine} ORDER BY coalesce(l.captured_at, l.scored_at) DESC NULLS LAST LIMIT :n"
        ),
        {"rep": rep, "n": limit},
    )
    return [dict(r._mapping) for r in rows]


async def open_assignment_of(session: AsyncSession, lead_id: UUID, rep: str) -> UUID | None:
    """The rep's latest unclaimed assignment of this lead (what the console's claim button claims)."""
    row = (
        await session.execute(
            text(
                "SELECT assignment_id FROM insights.assignments WHERE lead_id = :l AND rep_id = :r"
                " AND claimed_at IS NULL AND attempt IS NOT NULL ORDER BY attempt DESC LIMIT 1"
            ),
            {"l": lead_id, "r": rep},
        )
    ).first()
    return row.assignment_id if row else None


async def owns(session: AsyncSession, lead_id: UUID, rep: str) -> bool:
    """Whether the rep may read the lead (see VISIBLE_TO_REP)."""
    row = await session.execute(text(f"SELECT {VISIBLE_TO_REP.format(lead=':l')}"), {"l": lead_id, "rep": rep})
    return bool(row.scalar())


async def console_claims(session: AsyncSession, limit: int) -> list[dict[str, Any]]:
    """Claims made from the console, newest first (who, which lead, when): for the audit page."""
    rows = await session.execute(
        text(
            "SELECT lead_id, assignment_id, rep_id, claimed_by, claimed_at FROM insights.assignments"
            " WHERE claimed_via = 'console' ORDER BY claimed_at DESC LIMIT :n"
        ),
        {"n": limit},
    )
    return [dict(r._mapping) for r in rows]
