"""score's queries (schema `score` only): each lead's enriched data, its activities, its last result."""

from typing import Any
from uuid import UUID

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.score.decision import LeadState, NewResult
from shared import raw_sql
from shared.payloads import Activity, EnrichedLead


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


async def leads_to_rescore(session: AsyncSession, limit: int, after: UUID | None) -> list[UUID]:
    """Leads with a score and activities whose points decay: candidates for the periodic re-score."""
    rows = await session.execute(
        text(
            "SELECT l.lead_id FROM score.leads l WHERE l.result IS NOT NULL AND l.enriched IS NOT NULL"
            " AND EXISTS (SELECT 1 FROM score.activities a WHERE a.lead_id = l.lead_id)"
            " AND (CAST(:after AS uuid) IS NULL OR l.lead_id > :after) ORDER BY l.lead_id LIMIT :n"
        ),
        {"after": after, "n": limit},
    )
    return [r.lead_id for r in rows]


async def save_facts(
    session: AsyncSession,
    enriched: list[tuple[UUID, UUID, EnrichedLead]],
    activities: list[tuple[UUID, UUID, UUID, Activity]],
) -> None:
    """A batch's facts in three statements: the latest enrichment per lead (`enriched`: lead id,
    correlation id, lead), a row for every lead an activity names, and the activities (`activities`:
    event id, lead id, correlation id, activity) stored once each by event id."""
    latest = {lead_id: (corr, lead) for lead_id, corr, lead in enriched}
    if latest:
        ids = sorted(latest)
        await raw_sql.execute(
            session,
            "INSERT INTO score.leads (lead_id, correlation_id, enriched)"
            " SELECT l, c, CAST(e AS jsonb) FROM unnest(CAST(:l AS uuid[]), CAST(:c AS uuid[]), CAST(:e AS text[]))"
            " AS u(l, c, e) ON CONFLICT (lead_id) DO UPDATE SET enriched = excluded.enriched, updated_at = now()",
            {
                "l": ids,
                "c": [latest[i][0] for i in ids],
                "e": [latest[i][1].model_dump_json() for i in ids],
            },
        )
    if not activities:
        return
    named = {lead_id: corr for _, lead_id, corr, _ in activities}
    await raw_sql.execute(
        session,
        "INSERT INTO score.leads (lead_id, correlation_id) SELECT l, c"
        " FROM unnest(CAST(:l AS uuid[]), CAST(:c AS uuid[])) AS u(l, c) ORDER BY l"
        " ON CONFLICT (lead_id) DO NOTHING",
        {"l": list(named), "c": list(named.values())},
    )
    await raw_sql.execute(
        session,
        "INSERT INTO score.activities (event_id, lead_id, kind, occurred_at, properties)"
        " SELECT e, l, k, t, CAST(p AS jsonb) FROM unnest(CAST(:e AS uuid[]), CAST(:l AS uuid[]),"
        " CAST(:k AS text[]), CAST(:t AS timestamptz[]), CAST(:p AS text[])) AS u(e, l, k, t, p)"
        " ON CONFLICT (event_id) DO NOTHING",
        {
            "e": [e for e, _, _, _ in activities],
            "l": [lead for _, lead, _, _ in activities],
            "k": [a.kind for _, _, _, a in activities],
            "t": [a.occurred_at for _, _, _, a in activities],
            "p": [_json(a.properties) for _, _, _, a in activities],
        },
    )


async def lock_leads(session: AsyncSession, lead_ids: list[UUID]) -> dict[UUID, LeadState]:
    """Several leads' state, locked in id order (two instances never deadlock)."""
    rows = await raw_sql.fetch(
        session,
        "SELECT lead_id, correlation_id, enriched, result, last_event, last_cause FROM score.leads"
        " WHERE lead_id = ANY(:l) ORDER BY lead_id FOR UPDATE",
        {"l": sorted(lead_ids)},
    )
    return {r.lead_id: _state(r) for r in rows}


def _state(row: Any) -> LeadState:
    enriched = EnrichedLead.model_validate(row.enriched) if row.enriched is not None else None
    return LeadState(row.lead_id, row.correlation_id, enriched, row.result, row.last_event, row.last_cause)


async def activities_of(session: AsyncSession, lead_ids: list[UUID]) -> dict[UUID, list[Activity]]:
    rows = await raw_sql.fetch(
        session,
        "SELECT lead_id, kind, occurred_at, properties FROM score.activities WHERE lead_id = ANY(:l)"
        " ORDER BY lead_id, occurred_at",
        {"l": lead_ids},
    )
    found: dict[UUID, list[Activity]] = {i: [] for i in lead_ids}
    for r in rows:
        found[r.lead_id].append(Activity(kind=r.kind, occurred_at=r.occurred_at, properties=r.properties))
    return found


async def save_results(session: AsyncSession, results: list[NewResult]) -> None:
    """New results and the events that announced them, so a redelivered cause re-emits the same event."""
    if not results:
        return
    await raw_sql.execute(
        session,
        "UPDATE score.leads s SET result = CAST(u.r AS jsonb), last_event = CAST(u.e AS jsonb), last_cause = u.c,"
        " updated_at = now() FROM unnest(CAST(:l AS uuid[]), CAST(:r AS text[]), CAST(:e AS text[]),"
        " CAST(:c AS uuid[])) AS u(l, r, e, c) WHERE s.lead_id = u.l",
        {
            "l": [r.lead_id for r in results],
            "r": [_json(r.summary) for r in results],
            "e": [_json(r.event) for r in results],
            "c": [r.cause for r in results],
        },
    )
