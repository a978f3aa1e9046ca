"""An operator moves a lead: to a chosen rep, or back through its pool to the next eligible rep who
has not had it. The open assignment ends as `reassigned`; the new attempt gets a fresh SLA clock,
its lead.assigned (published through the unit of work) alerts the new rep, the trace and reason
say who moved it and why, and the audit log records it."""

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from uuid import UUID

from services.route.engine import Decision, sla_minutes
from services.route.routing import decide_locked, record
from services.route.uow import RouteUnitOfWork
from shared.business.loader import BusinessConfig
from shared.events import LeadScoredEvent

OPEN = ("pending", "claimed", "held")


@dataclass(frozen=True)
class ReassignAnswer:
    status: int
    body: dict[str, Any]


def _refused(status: int, field: str, message: str) -> ReassignAnswer:
    error = {404: "not_found", 409: "conflict"}.get(status, "invalid_request")
    return ReassignAnswer(status, {"error": error, "fields": [{"field": field, "message": message}]})


def chosen(config: BusinessConfig, rep_id: str, pool_id: str, grade: str | None, note: str, actor: str) -> Decision:
    """The decision an operator makes by naming the rep (no round-robin credit changes hands)."""
    rep = config.rep(rep_id)
    minutes = sla_minutes(config, None, grade)
    trace = [note, f"winner: {rep_id} (chosen by {actor}); claim within {minutes:g} min"]
    return Decision("assigned", f"{rep.name}, chosen by {actor}", trace, "manual", pool_id, rep_id, minutes)


async def reassign_in(
    uow: RouteUnitOfWork,
    config: BusinessConfig,
    lead_id: UUID,
    to_rep: str | None,
    why: str,
    actor: str,
    now: datetime,
) -> ReassignAnswer:
    if to_rep is not None and (to_rep not in config.rep_ids or not config.rep(to_rep).active):
        return _refused(422, "rep_id", f"no active rep {to_rep!r}")
    await uow.leads.lock([lead_id])
    raw = await uow.leads.routing_input(lead_id)
    latest = (await uow.assignments.latest([lead_id])).get(lead_id)
    if raw is None or latest is None:
        return _refused(404, "lead_id", "route has not routed this lead")
    if latest.status not in OPEN:
        return _refused(409, "lead_id", f"its latest assignment is {latest.status}; nothing open to move")
    if to_rep is not None and to_rep == latest.rep_id:
        return _refused(409, "rep_id", f"the lead is already {to_rep}'s")
    cause = LeadScoredEvent.model_validate(raw)
    note = f"reassigned by {actor} from {latest.rep_id or 'nobody'}: {why}"
    if to_rep is not None:
        decision = chosen(config, to_rep, latest.pool_id, cause.data.grade, note, actor)
    else:
        had = await uow.assignments.reps_who_had(lead_id)
        decision = await decide_locked(uow, config, cause.data, now, had)
        reason = f"Reassigned by {actor} ({why}): {decision.reason}"
        decision = replace(decision, reason=reason, trace=[note, *decision.trace])
    await uow.assignments.set_status(latest.id, "reassigned")
    event = await record(uow, config, cause.data, cause, decision, now, attempt=latest.attempt + 1)
    if event is not None:
        uow.publish(event)
    detail = {"from": latest.rep_id, "to": decision.rep_id, "reason": why, "outcome": decision.outcome}
    await uow.audit.record(actor, "lead reassigned", f"lead {lead_id}", detail)
    return ReassignAnswer(
        200,
        {
            "lead_id": str(lead_id),
            "from": latest.rep_id,
            "to": decision.rep_id,
            "outcome": decision.outcome,
            "attempt": latest.attempt + 1,
            "reason": decision.reason,
            "trace": decision.trace,
        },
    )
