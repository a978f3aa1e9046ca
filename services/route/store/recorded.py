"""The recorded leads a replay decides again: every routing input received since a time (the newest
`limit` of them), with the rep who owned each first."""

from datetime import datetime
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.route.replay import RecordedLead
from services.route.store.assignments import AssignmentStore
from shared.events import LeadScoredEvent


async def recorded_since(session: AsyncSession, since: datetime, limit: int | None = None) -> list[RecordedLead]:
    rows = await session.execute(
        text(
            "SELECT event, received_at FROM (SELECT event, received_at FROM route.routing_inputs"
            " WHERE received_at >= :s ORDER BY received_at DESC LIMIT :n) r ORDER BY received_at"
        ),
        {"s": since, "n": limit},
    )
    events = [(LeadScoredEvent.model_validate(dict(r.event)), r.received_at) for r in rows]
    owners = await AssignmentStore(session).first_owners([e.lead_id for e, _ in events])
    return [RecordedLead(UUID(str(e.lead_id)), e.data, at, owners.get(e.lead_id)) for e, at in events]
