"""Every event a subscriber may want -> one delivery row per subscription that wants its type, in
one statement per batch (a redelivered event adds nothing). The sender is woken after. A batch of
events whose types no subscription wants (the cache in wanted.py) touches no database, and with no
subscription at all the events are not even parsed."""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from services.outbound import store
from services.outbound.events import envelope, outbound_type
from shared.db import Database
from shared.events import EnvelopeBase, Event
from shared.runtime import Stage
from shared.topics import Topic

INPUTS = [Topic.LEAD_CAPTURED, Topic.LEAD_SCORED, Topic.LEAD_ASSIGNED, Topic.LEAD_ACKNOWLEDGED, Topic.LEAD_NURTURE]


@dataclass(frozen=True)
class OutboundDeps:
    db: Database
    wake: Callable[[], None]
    wanted: Callable[[], Awaitable[frozenset[str] | None]]
    """The event types some subscription wants, or None when not known for sure."""


async def handle_batch(events: Sequence[Event], deps: OutboundDeps) -> list[Sequence[EnvelopeBase]]:
    kinds = [(e, kind) for e in events if (kind := outbound_type(e)) is not None]
    wanted = await deps.wanted() if kinds else None
    rows = [(e.event_id, e.lead_id, kind, envelope(e, kind)) for e, kind in kinds if wanted is None or kind in wanted]
    if not rows:
        return [[] for _ in events]
    async with deps.db.session_scope() as session:
        added = await store.enqueue(session, rows)
    if added:
        deps.wake()
    return [[] for _ in events]


async def wants_any(deps: OutboundDeps) -> bool:
    """False only when outbound knows for sure that no subscription exists: then the runtime commits
    a batch without parsing it (outbound as `make run` ships it has none)."""
    return await deps.wanted() != frozenset()


async def handle(event: Event, deps: OutboundDeps) -> Sequence[EnvelopeBase]:
    return (await handle_batch([event], deps))[0]


STAGE: Stage[OutboundDeps] = Stage(
    name="outbound",
    inputs=INPUTS,
    handle=handle,
    handle_batch=handle_batch,
    wants_any=wants_any,
    fetch_wait_ms=100,
)
