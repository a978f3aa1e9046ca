"""Reject with a reason: the assigned rep says "not mine", "not a fit" or "wrong territory", and the
lead moves at once to the next eligible rep who has not had it (or the manager, as an SLA miss
would), in the same transaction, its lead.assigned acknowledged by the broker before the commit.
"Not a fit" recycles the lead to nurture instead (routing.recycling.not_a_fit; see recycling.py).

Fairness: "not mine" and "wrong territory" were the router's mistake, so the rep gets back the
round-robin credit the pick cost them (their turn comes round again as if the pick had not
happened); "not a fit" is a judgement on the lead, and the turn stays spent. Every rejection is
counted by reason, rule and source (leadrelay_rejections_total, GET /v1/rejections per rep)."""

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from services.route.engine import escalate
from services.route.recycling import recycle
from services.route.routing import decide_locked, record
from services.route.store.rows import Rejected
from services.route.uow import RouteUnitOfWork
from shared import metrics
from shared.business.loader import BusinessConfig
from shared.events import LeadActivityEvent, LeadAssignedEvent, LeadScoredEvent, follow_event
from shared.payloads import Activity

Reason = Literal["not_mine", "not_a_fit", "wrong_territory"]
GIVES_TURN_BACK: frozenset[str] = frozenset({"not_mine", "wrong_territory"})


@dataclass(frozen=True)
class RejectAnswer:
    status: int
    body: dict[str, Any]


def _refused(assignment_id: UUID, message: str) -> RejectAnswer:
    return RejectAnswer(
        409,
        {
            "assignment_id": str(assignment_id),
            "error": "not_rejectable",
            "fields": [{"field": "rep_id", "message": message}],
        },
    )


async def reject_in(
    uow: RouteUnitOfWork,
    config: BusinessConfig,
    assignment_id: UUID,
    rep_id: str,
    reason: Reason,
    now: datetime,
) -> RejectAnswer:
    """The rejection and the next decision in the caller's unit of work (the next lead.assigned is
    published through it, so it is acknowledged by the broker before the commit)."""
    words = reason.replace("_", " ")
    rejected = await uow.assignments.reject(assignment_id, rep_id, reason)
    if rejected is None:
        return _refused(assignment_id, "only the assigned rep can turn down a pending assignment")
    if reason in GIVES_TURN_BACK and rejected.debit:
        await uow.pools.give_back_turn(rejected.pool_id, rep_id, rejected.debit)
    await uow.leads.lock([rejected.lead_id])
    raw = await uow.leads.routing_input(rejected.lead_id)
    latest = (await uow.assignments.latest([rejected.lead_id])).get(rejected.lead_id)
    if raw is None or latest is None:
        return _refused(assignment_id, "route has no routing input for this lead")
    cause = LeadScoredEvent.model_validate(raw)
    said = f"{rep_id} said {words}"
    if reason == "not_a_fit" and config.routing.recycling.not_a_fit:
        why = f"Recycled: {said}; back to nurture until a higher score says it is sales-ready"
        await recycle(uow, cause, assignment_id, latest.attempt, reason, why)
        return _counted(
            uow, rejected, rep_id, reason, now, assignment_id, {"outcome": "nurture", "rep_id": None, "reason": why}
        )
    had = await uow.assignments.reps_who_had(rejected.lead_id)
    tries = await uow.assignments.assigned_attempts(rejected.lead_id)
    if tries >= config.routing.sla.max_attempts:
        decision = escalate(config, rejected.pool_id, f"Turned down {tries} times: {said}", [said])
    else:
        decision = await decide_locked(uow, config, cause.data, now, had)
        decision = replace(decision, reason=f"Reassigned, {said}: {decision.reason}", trace=[said, *decision.trace])
    event = await record(uow, config, cause.data, cause, decision, now, attempt=latest.attempt + 1)
    if event is not None:
        uow.publish(event)
    nxt = {"outcome": decision.outcome, "rep_id": decision.rep_id, "reason": decision.reason}
    return _counted(uow, rejected, rep_id, reason, now, assignment_id, nxt)


def _counted(
    uow: RouteUnitOfWork,
    rejected: Rejected,
    rep_id: str,
    reason: Reason,
    now: datetime,
    assignment_id: UUID,
    nxt: dict[str, Any],
) -> RejectAnswer:
    """The rejection as a behaviour event and a count; the answer naming what happened next."""
    uow.publish(rejection_activity(rejected, rep_id, reason, now))
    source = str((rejected.event.get("data") or {}).get("lead", {}).get("source", "-"))
    metrics.REJECTIONS.labels(reason, rejected.rule_id or "default", source).inc()
    return RejectAnswer(
        200,
        {
            "assignment_id": str(assignment_id),
            "status": "rejected",
            "reason": reason,
            "turn_given_back": reason in GIVES_TURN_BACK,
            "next": nxt,
        },
    )


def rejection_activity(rejected: Rejected, rep_id: str, reason: str, now: datetime) -> LeadActivityEvent:
    """The rejection as a behaviour event on the lead (kind `rep_rejected`), so scoring can count it:
    an intent rule on `rep_rejected` with `properties.reason` (e.g. not_a_fit) gives it points."""
    assigned = LeadAssignedEvent.model_validate(rejected.event)
    data = Activity(kind="rep_rejected", occurred_at=now, properties={"reason": reason, "rep_id": rep_id})
    return follow_event(LeadActivityEvent, assigned, producer="route", data=data, key=f"rejected:{reason}")
