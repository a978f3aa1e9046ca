"""lead.scored -> lead.assigned (sales-ready) or lead.nurture (not yet). A lead is routed once: a
re-score never re-routes it, and a redelivered input re-emits the same assignment."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from services.route import repository
from services.route.engine import nurture_reason
from services.route.routing import decide_locked, record
from shared.business.loader import BusinessConfig
from shared.db import Database
from shared.events import EnvelopeBase, Event, LeadAssignedEvent, LeadNurtureEvent, LeadScoredEvent, follow_event
from shared.payloads import Nurture
from shared.runtime import Stage
from shared.topics import Topic


@dataclass(frozen=True)
class RouteDeps:
    db: Database
    config: BusinessConfig
    clock: Callable[[], datetime]


async def handle(event: Event, deps: RouteDeps) -> Sequence[EnvelopeBase]:
    assert isinstance(event, LeadScoredEvent)
    scored = event.data
    async with deps.db.session_scope() as session:
        await repository.lock_lead(session, event.lead_id)
        await repository.save_input(session, event.lead_id, event.model_dump(mode="json"))
        latest = await repository.latest_assignment(session, event.lead_id)
        if latest is not None:
            if latest.event.get("causation_id") == str(event.event_id):
                return [LeadAssignedEvent.model_validate(latest.event)]
            return []
        reason = nurture_reason(deps.config, scored)
        if reason is not None:
            if await repository.upsert_nurture(session, event.lead_id, reason, scored.stage, scored.total):
                nurture = Nurture(reason=reason, score=scored.total)
                return [follow_event(LeadNurtureEvent, event, producer="route", data=nurture)]
            return []
        now = deps.clock()
        decision = await decide_locked(session, deps.config, scored, now, frozenset())
        assigned = await record(session, deps.config, scored, event, decision, now, attempt=1)
    return [assigned] if assigned is not None else []


STAGE: Stage[RouteDeps] = Stage(
    name="route", inputs=[Topic.LEAD_SCORED], handle=handle, batch_transaction=lambda deps: deps.db.shared_transaction()
)
