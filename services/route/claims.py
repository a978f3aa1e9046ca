"""Recording a claim: first claim wins and stops the SLA clock; route then publishes lead.acknowledged.
Who may claim: the assigned rep, or the manager of the assignment's pool."""

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from services.route.uow import RouteUnitOfWork
from shared.business.loader import BusinessConfig
from shared.events import LeadAcknowledgedEvent, LeadAssignedEvent, follow_event
from shared.payloads import Acknowledgement


@dataclass(frozen=True)
class ClaimAnswer:
    status: int
    body: dict[str, Any]


async def claim_in(
    uow: RouteUnitOfWork, config: BusinessConfig, assignment_id: UUID, rep_id: str, via: str
) -> ClaimAnswer:
    """The claim in the caller's unit of work; lead.acknowledged is published through it."""
    managed = [p.id for p in config.pools if p.manager == rep_id]
    result = await uow.assignments.claim(assignment_id, rep_id, managed)
    if not result.found:
        return ClaimAnswer(
            404, {"error": "not_found", "fields": [{"field": "assignment_id", "message": "no such assignment"}]}
        )
    answer = {
        "assignment_id": str(assignment_id),
        "status": result.status,
        "rep_id": result.rep_id,
        "claimed_by": result.claimed_by,
        "claimed_at": result.claimed_at.isoformat() if result.claimed_at else None,
    }
    if result.claimed_now:
        assert result.event is not None and result.claimed_at is not None and result.claimed_by is not None
        assigned = LeadAssignedEvent.model_validate(result.event)
        ack = follow_event(
            LeadAcknowledgedEvent,
            assigned,
            producer="route",
            data=Acknowledgement(
                assignment_id=assignment_id, rep_id=result.claimed_by, claimed_at=result.claimed_at, via=via
            ),
        )
        uow.publish(ack)
        return ClaimAnswer(200, answer)
    if result.status == "claimed" and rep_id == result.claimed_by:
        return ClaimAnswer(200, answer)
    if result.status == "claimed":
        error = "already_claimed"
    elif result.status == "pending":
        error = "not_assigned_to_rep"
    else:
        error = "no_longer_assigned"
    return ClaimAnswer(
        409, {**answer, "error": error, "fields": [{"field": "rep_id", "message": error.replace("_", " ")}]}
    )
