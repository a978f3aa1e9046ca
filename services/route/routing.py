"""Routing a lead inside one transaction: lock the pools the decision may touch, load their state,
decide (pure), then record the assignment and the fairness bookkeeping and build the event."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID, uuid5

from services.route.engine import Decision, decide, due_at, match_rule, routing_doc
from services.route.store.rows import NewAssignment
from services.route.uow import RouteUnitOfWork
from shared.business.loader import BusinessConfig
from shared.events import EnvelopeBase, LeadAssignedEvent, follow_event
from shared.payloads import Assignment, LeadSummary, RepContact, ScoredLead

HELD_RETRY = timedelta(seconds=60)


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
        prediction=next((c.why for c in scored.contributions if c.rule_id == "model"), None),
    )


def pools_in_play(config: BusinessConfig, scored: ScoredLead) -> list[str]:
    """The pool the rules pick and every pool it may overflow into."""
    _, pool_id = match_rule(config, routing_doc(scored), [])
    chain = [pool_id]
    while (nxt := config.pool(chain[-1]).when_no_one_available.overflow) is not None and nxt not in chain:
        chain.append(nxt)
    return chain


def lead_domains(scored: ScoredLead) -> list[str]:
    """The lead's company domain, for account-owner routing (none for free mail)."""
    domain = None if scored.lead.is_free_mail else scored.lead.email_domain
    return [domain] if domain else []


async def decide_locked(
    uow: RouteUnitOfWork, config: BusinessConfig, scored: ScoredLead, now: datetime, already_had: frozenset[str]
) -> Decision:
    """Lock the pools in play (until commit) and decide against their current state."""
    pools = pools_in_play(config, scored)
    snap = await uow.pools.snapshot(config, pools, now, lead_domains(scored), lock=True)
    return decide(config, scored, snap, now, already_had=already_had, check_stage=False)


def channels_for(config: BusinessConfig, decision: Decision) -> list[str]:
    """The rep's own channels; for an escalation, the pool's escalation channels when it names some."""
    assert decision.rep_id is not None
    rep = config.rep(decision.rep_id)
    if decision.outcome == "escalated" and decision.pool_id is not None:
        wanted = config.pool(decision.pool_id).escalation_channels
        if wanted is not None:
            return [c for c in wanted if rep.targets.get(c)] or rep.alert_channels
    return rep.alert_channels


def assignment_id_for(lead_id: UUID, attempt: int) -> UUID:
    return uuid5(lead_id, f"assignment:{attempt}")


@dataclass(frozen=True)
class Recorded:
    """An attempt to store, and the lead.assigned event when a rep got the lead."""

    row: NewAssignment
    event: LeadAssignedEvent | None


def build(
    config: BusinessConfig,
    scored: ScoredLead,
    cause: EnvelopeBase,
    decision: Decision,
    now: datetime,
    attempt: int,
) -> Recorded:
    """Attempt `attempt` as a row to store and the event to emit. Pure."""
    assignment_id = assignment_id_for(cause.lead_id, attempt)
    due = due_at(now, decision.sla_minutes) if decision.outcome == "assigned" else None
    event = None
    if decision.rep_id is not None:
        rep = config.rep(decision.rep_id)
        event = follow_event(
            LeadAssignedEvent,
            cause,
            producer="route",
            key=f"attempt:{attempt}",
            data=Assignment(
                assignment_id=assignment_id,
                lead_id=cause.lead_id,
                lead_arrived_at=cause.origin,
                attempt=attempt,
                pool_id=decision.pool_id or "",
                rep=RepContact(
                    id=rep.id,
                    name=rep.name,
                    slack=rep.slack,
                    email=rep.email,
                    phone=rep.phone,
                    contacts={k: v for k, v in rep.contacts.items() if v},
                ),
                reason=decision.reason,
                lead=summarize(scored),
                trace=decision.trace,
                outcome=decision.outcome,
                channels=list(channels_for(config, decision)),
                rule_id=decision.rule_id,
                sla_due_at=due,
                config_version=config.version,
            ),
        )
    row = NewAssignment(
        id=assignment_id,
        lead_id=cause.lead_id,
        attempt=attempt,
        outcome=decision.outcome,
        status="held" if decision.outcome == "held" else "pending",
        pool_id=decision.pool_id or "",
        rep_id=decision.rep_id,
        rule_id=decision.rule_id,
        reason=decision.reason,
        trace=decision.trace,
        sla_due_at=now + HELD_RETRY if decision.outcome == "held" else due,
        event=event.model_dump(mode="json") if event is not None else {},
        decided_at=now,
        debit=decision.change.debit if decision.change.rep_id == decision.rep_id else 0,
    )
    return Recorded(row, event)


async def record(
    uow: RouteUnitOfWork,
    config: BusinessConfig,
    scored: ScoredLead,
    cause: EnvelopeBase,
    decision: Decision,
    now: datetime,
    attempt: int,
) -> LeadAssignedEvent | None:
    """Store attempt `attempt` and its bookkeeping; the lead.assigned event when a rep got the lead."""
    await uow.pools.apply_change(decision.change)
    recorded = build(config, scored, cause, decision, now, attempt)
    await uow.assignments.add([recorded.row])
    return recorded.event
