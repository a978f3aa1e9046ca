"""lead.scored -> lead.assigned. A lead is assigned once: a repeated input re-emits the same assignment."""

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import uuid5

from services.route import repository
from services.route.decisions import round_robin
from shared.business_config import BusinessConfig
from shared.db import Database
from shared.events import EnvelopeBase, Event, LeadAssignedEvent, LeadScoredEvent, follow_event
from shared.payloads import Assignment, LeadSummary, ScoredLead
from shared.runtime import Stage
from shared.topics import Topic

FIRST_ATTEMPT = 1


@dataclass(frozen=True)
class RouteDeps:
    db: Database
    config: BusinessConfig


def summarize(scored: ScoredLead) -> LeadSummary:
    lead = scored.lead
    names = [n for n in (lead.first_name, lead.last_name) if n]
    top = sorted(scored.contributions, key=lambda c: abs(c.points), reverse=True)
    return LeadSummary(
        name=" ".join(names) or None,
        email=lead.email,
        phone=lead.phone_e164 or lead.fields.phone,
        company=lead.company.name if lead.company else lead.fields.company,
        title=lead.fields.title,
        source=lead.source,
        score=scored.total,
        reasons=top,
    )


async def handle(event: Event, deps: RouteDeps) -> Sequence[EnvelopeBase]:
    assert isinstance(event, LeadScoredEvent)
    async with deps.db.session_scope() as session:
        existing = await repository.assignment_event(session, event.lead_id, FIRST_ATTEMPT)
        if existing is not None:
            return [LeadAssignedEvent.model_validate(existing)]
        pool_id = deps.config.routing.default_pool
        turn = await repository.next_turn(session, pool_id)
        decision = round_robin(pool_id, await repository.active_members(session, pool_id), turn)
        assignment_id = uuid5(event.lead_id, f"assignment:{FIRST_ATTEMPT}")
        assigned = follow_event(
            LeadAssignedEvent,
            event,
            producer="route",
            data=Assignment(
                assignment_id=assignment_id,
                attempt=FIRST_ATTEMPT,
                pool_id=pool_id,
                rep=decision.rep,
                reason=decision.reason,
                lead=summarize(event.data),
                trace=decision.trace,
            ),
        )
        await repository.insert_assignment(
            session,
            assignment_id=assignment_id,
            lead_id=event.lead_id,
            attempt=FIRST_ATTEMPT,
            pool_id=pool_id,
            rep_id=decision.rep.id,
            reason=decision.reason,
            trace=decision.trace,
            event=assigned.model_dump(mode="json"),
        )
    return [assigned]


STAGE: Stage[RouteDeps] = Stage(name="route", inputs=[Topic.LEAD_SCORED], handle=handle)
