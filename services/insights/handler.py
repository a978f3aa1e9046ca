"""Every lead topic -> insights' read model (see projection). A batch is projected in one unit of
work; nothing is produced."""

from collections.abc import Sequence

from services.insights.projection import project_batch
from services.insights.uow import SqlInsightsUnitOfWork
from shared.db import Database
from shared.events import EnvelopeBase, Event
from shared.runtime import Stage
from shared.topics import Topic

INPUTS = (
    Topic.LEAD_CAPTURED,
    Topic.LEAD_ENRICHED,
    Topic.LEAD_SCORED,
    Topic.LEAD_NURTURE,
    Topic.LEAD_ASSIGNED,
    Topic.LEAD_ACKNOWLEDGED,
    Topic.LEAD_NOTIFIED,
)


async def handle_batch(events: Sequence[Event], db: Database) -> list[Sequence[EnvelopeBase]]:
    async with SqlInsightsUnitOfWork(db) as uow:
        await project_batch(events, uow)
    return [[] for _ in events]


async def handle(event: Event, db: Database) -> Sequence[EnvelopeBase]:
    return (await handle_batch([event], db))[0]


STAGE: Stage[Database] = Stage(
    name="insights", inputs=INPUTS, handle=handle, handle_batch=handle_batch, fetch_wait_ms=100
)
