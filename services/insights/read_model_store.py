"""insights' read model in PostgreSQL (schema `insights`): a batch's folded changes (see changes.py)
merged into the stored rows with one set-based statement per kind of change, whatever the batch
size. Each statement applies the same merge the fold used, against what is stored."""

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from services.insights.changes import ASSIGNED_COLUMNS, Changes
from shared import raw_sql

ASSIGNED_TYPES = {
    "attempt": "int",
    "assigned_at": "timestamptz",
    "lead_arrived_at": "timestamptz",
    "sla_due_at": "timestamptz",
}
"""The array types a lead.assigned's columns are sent as; the others are text (`trace` as JSON text)."""


def _first(column: str) -> str:
    """SET clause: the value from whichever capture came first."""
    return (
        f"{column} = CASE WHEN l.captured_at IS NULL OR EXCLUDED.captured_at < l.captured_at"
        f" THEN coalesce(EXCLUDED.{column}, l.{column}) ELSE coalesce(l.{column}, EXCLUDED.{column}) END"
    )


def _newer(column: str, stamp: str, new: str) -> str:
    """SET value: `new` when the batch's value is stamped no earlier than the stored one."""
    newer = f"u.{stamp} IS NOT NULL AND (l.{stamp} IS NULL OR l.{stamp} <= u.{stamp})"
    return f"CASE WHEN {newer} THEN {new} ELSE l.{column} END"


class ReadModelStore:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def lock(self, leads: Sequence[UUID]) -> None:
        """Transaction-scoped locks on the batch's leads, taken in one order: batches from different
        topics touching the same leads then queue instead of deadlocking."""
        keys = sorted({(lead.int >> 65) - (1 << 62) for lead in leads})
        await raw_sql.execute(
            self._s,
            "SELECT pg_advisory_xact_lock(k) FROM (SELECT unnest(CAST(:k AS bigint[])) AS k ORDER BY k) AS s",
            {"k": keys},
        )

    async def apply(self, changes: Changes) -> None:
        await self._ensure_leads(changes)
        await self._captured(changes)
        await self._facts(changes)
        await self._assignments(changes)
        await self._alerts(changes)
        await self._timeline(changes)

    async def _ensure_leads(self, changes: Changes) -> None:
        """The lead rows other events update (lead.captured makes its own); a known source is kept."""
        rows = {lead: row for lead, row in changes.leads.items() if lead not in changes.captured}
        if not rows:
            return
        await raw_sql.execute(
            self._s,
            "INSERT INTO insights.leads (lead_id, correlation_id, source)"
            " SELECT * FROM unnest(CAST(:l AS uuid[]), CAST(:c AS uuid[]), CAST(:s AS text[]))"
            " ON CONFLICT (lead_id) DO UPDATE SET source = coalesce(insights.leads.source, EXCLUDED.source)",
            {"l": list(rows), "c": [c for c, _ in rows.values()], "s": [s for _, s in rows.values()]},
        )

    async def _captured(self, changes: Changes) -> None:
        rows = list(changes.captured.values())
        if not rows:
            return
        await raw_sql.execute(
            self._s,
            "INSERT INTO insights.leads AS l (lead_id, correlation_id, captured_at, source, campaign, name, email,"
            " company, title) SELECT * FROM unnest(CAST(:l AS uuid[]), CAST(:c AS uuid[]),"
            " CAST(:at AS timestamptz[]), CAST(:s AS text[]), CAST(:cp AS text[]), CAST(:n AS text[]),"
            " CAST(:e AS text[]), CAST(:co AS text[]), CAST(:t AS text[]))"
            " ON CONFLICT (lead_id) DO UPDATE SET "
            + ", ".join(_first(c) for c in ("source", "campaign", "name", "email", "company", "title"))
            + ", captured_at = least(l.captured_at, EXCLUDED.captured_at)",
            {
                "l": [r.lead_id for r in rows],
                "c": [r.correlation_id for r in rows],
                "at": [r.captured_at for r in rows],
                "s": [r.source for r in rows],
                "cp": [r.campaign for r in rows],
                "n": [r.name for r in rows],
                "e": [r.email for r in rows],
                "co": [r.company for r in rows],
                "t": [r.title for r in rows],
            },
        )

    async def _facts(self, changes: Changes) -> None:
        rows = list(changes.facts.values())
        if not rows:
            return
        await raw_sql.execute(
            self._s,
            "UPDATE insights.leads l SET"
            f" enriched = {_newer('enriched', 'enriched_at', 'CAST(u.enriched AS jsonb)')},"
            f" company = {_newer('company', 'enriched_at', 'coalesce(u.company, l.company)')},"
            " enriched_at = greatest(l.enriched_at, u.enriched_at),"
            f" score = {_newer('score', 'scored_at', 'u.score')},"
            f" grade = {_newer('grade', 'scored_at', 'u.grade')},"
            f" stage = {_newer('stage', 'scored_at', 'u.stage')},"
            f" reasons = {_newer('reasons', 'scored_at', 'CAST(u.reasons AS jsonb)')},"
            " scored_at = greatest(l.scored_at, u.scored_at),"
            " mql_at = least(l.mql_at, u.mql_at), sql_at = least(l.sql_at, u.sql_at),"
            f" nurture_reason = {_newer('nurture_reason', 'nurtured_at', 'u.nurture_reason')},"
            " nurtured_at = greatest(l.nurtured_at, u.nurtured_at)"
            " FROM unnest(CAST(:lead AS uuid[]), CAST(:ea AS timestamptz[]), CAST(:ef AS text[]),"
            " CAST(:co AS text[]), CAST(:sa AS timestamptz[]), CAST(:sc AS int[]), CAST(:g AS text[]),"
            " CAST(:st AS text[]), CAST(:r AS text[]), CAST(:mql AS timestamptz[]), CAST(:sql AS timestamptz[]),"
            " CAST(:na AS timestamptz[]), CAST(:nr AS text[]))"
            " AS u(lead_id, enriched_at, enriched, company, scored_at, score, grade, stage, reasons, mql_at,"
            " sql_at, nurtured_at, nurture_reason)"
            " WHERE l.lead_id = u.lead_id",
            {
                "lead": [r.lead_id for r in rows],
                "ea": [r.enriched_at for r in rows],
                "ef": [r.enriched for r in rows],
                "co": [r.company for r in rows],
                "sa": [r.scored_at for r in rows],
                "sc": [r.score for r in rows],
                "g": [r.grade for r in rows],
                "st": [r.stage for r in rows],
                "r": [r.reasons for r in rows],
                "mql": [r.mql_at for r in rows],
                "sql": [r.sql_at for r in rows],
                "na": [r.nurtured_at for r in rows],
                "nr": [r.nurture_reason for r in rows],
            },
        )

    async def _assignments(self, changes: Changes) -> None:
        rows = list(changes.assignments.values())
        if not rows:
            return
        assigned = ", ".join(f"CAST(:{c} AS {ASSIGNED_TYPES.get(c, 'text')}[])" for c in ASSIGNED_COLUMNS)
        replace_assigned = ", ".join(
            f"{c} = CASE WHEN EXCLUDED.assigned_at IS NOT NULL THEN EXCLUDED.{c} ELSE x.{c} END"
            for c in ASSIGNED_COLUMNS
        )
        params: dict[str, list[object]] = {
            c: [r.assigned[c] if r.assigned is not None else None for r in rows] for c in ASSIGNED_COLUMNS
        }
        await raw_sql.execute(
            self._s,
            f"INSERT INTO insights.assignments AS x (assignment_id, lead_id, {', '.join(ASSIGNED_COLUMNS)},"
            " claimed_at, claimed_by, claimed_via, first_alert_at)"
            f" SELECT a, l, {', '.join(ASSIGNED_COLUMNS[:6])}, CAST(trace AS jsonb),"
            f" {', '.join(ASSIGNED_COLUMNS[7:])}, ca, cb, cv, fa"
            f" FROM unnest(CAST(:a AS uuid[]), CAST(:l AS uuid[]), {assigned}, CAST(:ca AS timestamptz[]),"
            " CAST(:cb AS text[]), CAST(:cv AS text[]), CAST(:fa AS timestamptz[]))"
            f" AS u(a, l, {', '.join(ASSIGNED_COLUMNS)}, ca, cb, cv, fa)"
            f" ON CONFLICT (assignment_id) DO UPDATE SET {replace_assigned},"
            " claimed_at = coalesce(x.claimed_at, EXCLUDED.claimed_at),"
            " claimed_by = coalesce(x.claimed_by, EXCLUDED.claimed_by),"
            " claimed_via = coalesce(x.claimed_via, EXCLUDED.claimed_via),"
            " first_alert_at = least(x.first_alert_at, EXCLUDED.first_alert_at)",
            {
                "a": [r.assignment_id for r in rows],
                "l": [r.lead_id for r in rows],
                **params,
                "ca": [r.claimed_at for r in rows],
                "cb": [r.claimed_by for r in rows],
                "cv": [r.claimed_via for r in rows],
                "fa": [r.first_alert_at for r in rows],
            },
        )

    async def _alerts(self, changes: Changes) -> None:
        rows = list(changes.alerts.values())
        if not rows:
            return
        await raw_sql.execute(
            self._s,
            "INSERT INTO insights.alerts AS x (assignment_id, channel, lead_id, status, provider_status, at, tries,"
            " external_id, error) SELECT * FROM unnest(CAST(:a AS uuid[]), CAST(:ch AS text[]),"
            " CAST(:l AS uuid[]), CAST(:s AS text[]), CAST(:ps AS text[]), CAST(:at AS timestamptz[]),"
            " CAST(:n AS int[]), CAST(:x AS text[]), CAST(:e AS text[]))"
            " ON CONFLICT (assignment_id, channel) DO UPDATE SET status = EXCLUDED.status,"
            " provider_status = EXCLUDED.provider_status, at = EXCLUDED.at, tries = EXCLUDED.tries,"
            " external_id = EXCLUDED.external_id, error = EXCLUDED.error WHERE x.at <= EXCLUDED.at",
            {
                "a": [r.assignment_id for r in rows],
                "ch": [r.channel for r in rows],
                "l": [r.lead_id for r in rows],
                "s": [r.status for r in rows],
                "ps": [r.provider_status for r in rows],
                "at": [r.at for r in rows],
                "n": [r.tries for r in rows],
                "x": [r.external_id for r in rows],
                "e": [r.error for r in rows],
            },
        )

    async def _timeline(self, changes: Changes) -> None:
        if not changes.timeline:
            return
        columns = list(zip(*changes.timeline.values(), strict=True))
        await raw_sql.execute(
            self._s,
            "INSERT INTO insights.timeline (event_id, lead_id, at, kind, summary, detail)"
            " SELECT e, l, a, k, s, CAST(d AS jsonb) FROM unnest(CAST(:e AS uuid[]), CAST(:l AS uuid[]),"
            " CAST(:a AS timestamptz[]), CAST(:k AS text[]), CAST(:s AS text[]), CAST(:d AS text[]))"
            " AS r(e, l, a, k, s, d) ON CONFLICT (event_id) DO NOTHING",
            {k: list(v) for k, v in zip("elaksd", columns, strict=True)},
        )
