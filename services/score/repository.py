"""score's queries (schema `score` only): each lead's enriched data, its activities, its last result."""

from dataclasses import dataclass
from typing import Any
from uuid import UUID

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from shared.payloads import Activity, EnrichedLead


@dataclass(frozen=True)
class LeadState:
    lead_id: UUID
    correlation_id: UUID
    enriched: EnrichedLead | None
    result: dict[str, Any] | None
    last_event: dict[str, Any] | None
    last_cause: UUID | None


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


async def save_enriched(session: AsyncSession, lead_id: UUID, correlation_id: UUID, lead: EnrichedLead) -> None:
    await session.execute(
        text(
            "INSERT INTO score.leads (lead_id, correlation_id, enriched) VALUES (:l, :c, CAST(:e AS jsonb))"
            " ON CONFLICT (lead_id) DO UPDATE SET enriched = excluded.enriched, updated_at = now()"
        ),
        {"l": lead_id, "c": correlation_id, "e": _json(lead.model_dump(mode="json"))},
    )


async def add_activity(session: AsyncSession, event_id: UUID, lead_id: UUID, correlation_id: UUID, a: Activity) -> bool:
    """Store a behaviour event once (by event_id); False if it was already stored."""
    await session.execute(
        text("INSERT INTO score.leads (lead_id, correlation_id) VALUES (:l, :c) ON CONFLICT (lead_id) DO NOTHING"),
        {"l": lead_id, "c": correlation_id},
    )
    result = await session.execute(
        text(
            "INSERT INTO score.activities (event_id, lead_id, kind, occurred_at, properties)"
            " VALUES (:e, :l, :k, :t, CAST(:p AS jsonb)) ON CONFLICT (event_id) DO NOTHING RETURNING event_id"
        ),
        {"e": event_id, "l": lead_id, "k": a.kind, "t": a.occurred_at, "p": _json(a.properties)},
    )
    return result.scalar_one_or_none() is not None


async def lock_lead(session: AsyncSession, lead_id: UUID) -> LeadState | None:
    row = (
        await session.execute(
            text(
                "SELECT lead_id, correlation_id, enriched, result, last_event, last_cause FROM score.leads"
                " WHERE lead_id = :l FOR UPDATE"
            ),
            {"l": lead_id},
        )
    ).one_or_none()
    if row is None:
        return None
    enriched = EnrichedLead.model_validate(row.enriched) if row.enriched is not None else None
    return LeadState(row.lead_id, row.correlation_id, enriched, row.result, row.last_event, row.last_cause)


async def activities(session: AsyncSession, lead_id: UUID) -> list[Activity]:
    rows = await session.execute(
        text("SELECT kind, occurred_at, properties FROM score.activities WHERE lead_id = :l ORDER BY occurred_at"),
        {"l": lead_id},
    )
    return [Activity(kind=r.kind, occurred_at=r.occurred_at, properties=r.properties) for r in rows]


async def save_result(
    session: AsyncSession, lead_id: UUID, result: dict[str, Any], event: dict[str, Any], cause: UUID | None
) -> None:
    """The new result and the event that announced it, so a redelivered cause re-emits the same event."""
    await session.execute(
        text(
            "UPDATE score.leads SET result = CAST(:r AS jsonb), last_event = CAST(:e AS jsonb), last_cause = :c,"
            " updated_at = now() WHERE lead_id = :l"
        ),
        {"l": lead_id, "r": _json(result), "e": _json(event), "c": cause},
    )


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


def summary(fit: int, intent: int, total: int, grade: str | None, stage: str | None) -> dict[str, Any]:
    """What must change for a new lead.scored to be emitted."""
    return {"fit": fit, "intent": intent, "total": total, "grade": grade, "stage": stage}
