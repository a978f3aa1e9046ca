"""Every topic -> insights' read model (schema `insights`). A projection: each event is merged so the
result does not depend on the order events arrive in (a lead's events come on different topics,
read in any order), and a repeated event changes nothing. So replaying from offset 0 into empty
tables gives the same read model, and the same reports.

Merges: first touch wins by time (source, campaign), latest wins by time (score, alert status),
earliest wins (MQL, SQL, first alert), first claim wins. One timeline row per event, by event_id.

A batch is folded in memory into at most one change per row (changes.py), and the changes are
merged into the stored rows with one statement per kind of change (read_model_store.py): before,
each event paid its own round trips, most of insights' time at load (py-spy, bench/results/profiles)."""

from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.insights.changes import fold
from services.insights.uow import InsightsUnitOfWork
from shared.events import Event


async def project_batch(events: Sequence[Event], uow: InsightsUnitOfWork) -> None:
    changes = fold(events)
    await uow.read_model.lock([e.lead_id for e in events])
    await uow.read_model.apply(changes)


READ_MODEL_TABLES: Sequence[str] = ("insights.timeline", "insights.alerts", "insights.assignments", "insights.leads")


async def clear(session: AsyncSession) -> None:
    """Empty the read model, for a rebuild from offset 0."""
    await session.execute(text(f"TRUNCATE {', '.join(READ_MODEL_TABLES)}"))
