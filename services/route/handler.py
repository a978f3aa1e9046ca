"""lead.scored -> lead.assigned (sales-ready) or lead.nurture (not yet). A lead is routed once: a
re-score never re-routes it, and a redelivered input re-emits the same assignment. The exception is
a recycled lead (see recycling.py): a later score above the one it was recycled with routes it again.

A partition's batch is one transaction: the leads are locked and their inputs and earlier
assignments read in one statement each, the pools every sales-ready lead may reach are locked and
loaded once, each decision is made in memory against the snapshot the previous ones left (so round
robin stays exact within the batch), and the assignments and credits are written in one statement
each."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from services.route import repository
from services.route.engine import apply, decide, nurture_reason
from services.route.recycling import Recycled, recycled
from services.route.routing import build, lead_domains, pools_in_play
from services.route.state import Snapshot
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


def _scored(events: Sequence[Event]) -> list[LeadScoredEvent]:
    for event in events:
        if not isinstance(event, LeadScoredEvent):
            raise TypeError(f"route does not handle {event.type}")
    return [e for e in events if isinstance(e, LeadScoredEvent)]


async def handle_batch(events: Sequence[Event], deps: RouteDeps) -> list[Sequence[EnvelopeBase]]:
    scored_events = _scored(events)
    lead_ids = sorted({e.lead_id for e in scored_events})
    config, now = deps.config, deps.clock()
    outputs: list[Sequence[EnvelopeBase]] = [[] for _ in events]
    async with deps.db.session_scope() as session:
        await repository.lock_leads(session, lead_ids)
        await repository.save_inputs(session, {e.lead_id: e.model_dump(mode="json") for e in scored_events})
        rows_now = await repository.latest_assignments(session, lead_ids)
        latest: dict[UUID, dict[str, Any]] = {lead_id: row.event for lead_id, row in rows_now.items()}
        again = await recycled(session, [lead for lead, row in rows_now.items() if row.status == "recycled"])
        ready = [
            e
            for e in scored_events
            if (e.lead_id not in latest or _routes_again(e, again.get(e.lead_id)))
            and nurture_reason(config, e.data) is None
        ]
        pools = sorted({p for e in ready for p in pools_in_play(config, e.data)})
        domains = sorted({d for e in ready for d in lead_domains(e.data)})
        before = after = Snapshot({}, {}, {})
        existing = await repository.open_owners(
            session, [(e.lead_id, e.data.lead.email, e.data.lead.phone_e164) for e in ready]
        )
        if ready:
            sticky = [o.rep_id for o in existing.values()]
            before = after = await repository.load_snapshot(
                session, config, pools, now, domains, lock=True, extra_reps=sticky
            )
        rows = []
        for i, event in enumerate(scored_events):
            recycle = None
            if event.lead_id in latest:
                earlier = latest[event.lead_id]
                if earlier.get("causation_id") == str(event.event_id):
                    outputs[i] = [LeadAssignedEvent.model_validate(earlier)]
                    continue
                recycle = again.get(event.lead_id)
                if recycle is None or not _routes_again(event, recycle) or nurture_reason(config, event.data):
                    continue
                del again[event.lead_id]
            reason = nurture_reason(config, event.data)
            if reason is not None:
                outputs[i] = await _nurture(session, event, reason)
                continue
            not_for = recycle.not_for if recycle is not None else frozenset()
            decision = decide(
                config,
                event.data,
                after,
                now,
                already_had=not_for,
                check_stage=False,
                existing=existing.get(event.lead_id),
            )
            if recycle is not None:
                why = f"Routed again after recycling: score {event.data.total} beats {recycle.score}"
                decision = replace(decision, reason=f"{why}. {decision.reason}", trace=[why, *decision.trace])
            after = apply(after, decision, now)
            attempt = recycle.attempt + 1 if recycle is not None else 1
            recorded = build(config, event.data, event, decision, now, attempt=attempt)
            rows.append(recorded.row)
            latest[event.lead_id] = recorded.row.event
            outputs[i] = [recorded.event] if recorded.event is not None else []
        await repository.insert_assignments(session, rows)
        await repository.save_fairness(session, before, after)
    return outputs


def _routes_again(event: LeadScoredEvent, recycle: Recycled | None) -> bool:
    """A recycled lead is routed again by a score higher than when it was recycled."""
    return recycle is not None and event.data.total > recycle.score


async def _nurture(session: AsyncSession, event: LeadScoredEvent, reason: str) -> list[EnvelopeBase]:
    scored = event.data
    if await repository.upsert_nurture(session, event.lead_id, reason, scored.stage, scored.total, event.event_id):
        return [
            follow_event(
                LeadNurtureEvent,
                event,
                producer="route",
                data=Nurture(reason=reason, score=scored.total, email=scored.lead.email),
            )
        ]
    return []


async def handle(event: Event, deps: RouteDeps) -> Sequence[EnvelopeBase]:
    return (await handle_batch([event], deps))[0]


STAGE: Stage[RouteDeps] = Stage(name="route", inputs=[Topic.LEAD_SCORED], handle=handle, handle_batch=handle_batch)
