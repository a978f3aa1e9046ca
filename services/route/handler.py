"""lead.scored -> lead.assigned (sales-ready) or lead.nurture (not yet). A lead is routed once: a
re-score never re-routes it, and a redelivered input re-emits the same assignment. The exception is
a recycled lead (see recycling.py): a later score above the one it was recycled with routes it again.

A batch is one unit of work: the leads are locked and their inputs, earlier assignments, recycles
and nurture records read in one statement each, the pools every sales-ready lead may reach are
locked and loaded once, each decision is made in memory against the snapshot the previous ones left
(so round robin stays exact within the batch), and the assignments, credits and nurture records are
written in one statement each."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from uuid import UUID

from services.route.engine import apply, decide, nurture_reason
from services.route.nurture import nurture_news
from services.route.routing import build, lead_domains, pools_in_play
from services.route.state import Snapshot
from services.route.store.rows import NurtureRecord, Recycled
from services.route.uow import RouteUnitOfWork, SqlRouteUnitOfWork
from shared.business.loader import BusinessConfig
from shared.db import Database
from shared.events import EnvelopeBase, Event, LeadAssignedEvent, LeadNurtureEvent, LeadScoredEvent, follow_event
from shared.live_config import LiveConfig
from shared.payloads import Nurture
from shared.runtime import Stage
from shared.topics import Topic
from shared.uow import PublishAll


@dataclass(frozen=True)
class RouteDeps:
    db: Database
    base: BusinessConfig
    """The YAML file's config; the version in force is `live.current` (a published one replaces it)."""
    clock: Callable[[], datetime]
    publish_all: PublishAll | None = None
    live: LiveConfig = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.live is None:
            object.__setattr__(self, "live", LiveConfig.fixed(self.base))

    @property
    def config(self) -> BusinessConfig:
        """The config in force now (an API call's; a batch takes its own with `live.use()`)."""
        return self.live.current.config

    def uow(self) -> RouteUnitOfWork:
        return SqlRouteUnitOfWork(self.db, self.publish_all)


def _scored(events: Sequence[Event]) -> list[LeadScoredEvent]:
    for event in events:
        if not isinstance(event, LeadScoredEvent):
            raise TypeError(f"route does not handle {event.type}")
    return [e for e in events if isinstance(e, LeadScoredEvent)]


async def handle_batch(events: Sequence[Event], deps: RouteDeps) -> list[Sequence[EnvelopeBase]]:
    scored = _scored(events)
    async with deps.live.use() as applied, deps.uow() as uow:
        return await route_batch(scored, uow, applied.config, deps.clock())


async def route_batch(
    scored_events: Sequence[LeadScoredEvent], uow: RouteUnitOfWork, config: BusinessConfig, now: datetime
) -> list[Sequence[EnvelopeBase]]:
    """The outputs for each input, in order; the decisions are `engine.decide`, made in memory."""
    lead_ids = sorted({e.lead_id for e in scored_events})
    why_not = [nurture_reason(config, e.data) for e in scored_events]  # None: sales-ready, route it
    outputs: list[Sequence[EnvelopeBase]] = [[] for _ in scored_events]
    await uow.leads.lock(lead_ids)
    await uow.leads.save_inputs({e.lead_id: e.model_dump(mode="json") for e in scored_events})
    rows_now = await uow.assignments.latest(lead_ids)
    latest: dict[UUID, dict[str, Any]] = {lead_id: row.event for lead_id, row in rows_now.items()}
    again = await uow.leads.recycled([lead for lead, row in rows_now.items() if row.status == "recycled"])
    ready = [
        e
        for e, why in zip(scored_events, why_not, strict=True)
        if (e.lead_id not in latest or _routes_again(e, again.get(e.lead_id))) and why is None
    ]
    nurtured = await uow.leads.nurtured(
        sorted({e.lead_id for e, why in zip(scored_events, why_not, strict=True) if e.lead_id not in latest and why})
    )
    changed_nurture: dict[UUID, NurtureRecord] = {}
    pools = sorted({p for e in ready for p in pools_in_play(config, e.data)})
    domains = sorted({d for e in ready for d in lead_domains(e.data)})
    before = after = Snapshot({}, {}, {})
    existing = await uow.assignments.open_owners(
        [(e.lead_id, e.data.lead.email, e.data.lead.phone_e164) for e in ready]
    )
    if ready:
        sticky = [o.rep_id for o in existing.values()]
        before = after = await uow.pools.snapshot(config, pools, now, domains, lock=True, extra_reps=sticky)
    rows = []
    for i, event in enumerate(scored_events):
        recycle = None
        if event.lead_id in latest:
            earlier = latest[event.lead_id]
            if earlier.get("causation_id") == str(event.event_id):
                outputs[i] = [LeadAssignedEvent.model_validate(earlier)]
                continue
            recycle = again.get(event.lead_id)
            if recycle is None or not _routes_again(event, recycle) or why_not[i]:
                continue
            del again[event.lead_id]
        reason = why_not[i]
        if reason is not None:
            record = NurtureRecord(event.lead_id, reason, event.data.stage, event.data.total, event.event_id)
            store, emit = nurture_news(nurtured.get(event.lead_id), record)
            if store is not None:
                nurtured[event.lead_id] = changed_nurture[event.lead_id] = store
            outputs[i] = [_nurture_event(event, reason)] if emit else []
            continue
        not_for = recycle.not_for if recycle is not None else frozenset()
        decision = decide(
            config, event.data, after, now, already_had=not_for, check_stage=False, existing=existing.get(event.lead_id)
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
    await uow.assignments.add(rows)
    await uow.pools.save_fairness(before, after)
    await uow.leads.save_nurtured(list(changed_nurture.values()))
    return outputs


def _routes_again(event: LeadScoredEvent, recycle: Recycled | None) -> bool:
    """A recycled lead is routed again by a score higher than when it was recycled."""
    return recycle is not None and event.data.total > recycle.score


def _nurture_event(event: LeadScoredEvent, reason: str) -> LeadNurtureEvent:
    scored = event.data
    return follow_event(
        LeadNurtureEvent,
        event,
        producer="route",
        data=Nurture(reason=reason, score=scored.total, email=scored.lead.email),
    )


async def handle(event: Event, deps: RouteDeps) -> Sequence[EnvelopeBase]:
    return (await handle_batch([event], deps))[0]


STAGE: Stage[RouteDeps] = Stage(name="route", inputs=[Topic.LEAD_SCORED], handle=handle, handle_batch=handle_batch)
