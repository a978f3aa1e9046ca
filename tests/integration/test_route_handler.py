"""route's handler against real PostgreSQL: routed once, nurture first, caps counted per period."""

from collections import Counter
from datetime import UTC, datetime
from uuid import uuid4

from services.route.handler import RouteDeps, handle, handle_batch
from services.route.store.pools import PoolStore
from shared.business.loader import BusinessConfig
from shared.db import Database
from shared.events import LeadAssignedEvent, LeadNurtureEvent, LeadScoredEvent, follow_event
from tests.support.events import scored_event

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def config(pool: str) -> BusinessConfig:
    return BusinessConfig.model_validate(
        {
            "reps": [{"id": f"{pool}-a", "name": "A", "caps": {"day": 1}}, {"id": f"{pool}-b", "name": "B"}],
            "pools": [{"id": pool, "members": [f"{pool}-a", f"{pool}-b"]}],
            "routing": {"default_pool": pool},
        }
    )


def rescored(event: LeadScoredEvent, total: int, stage: str) -> LeadScoredEvent:
    data = event.data.model_copy(update={"total": total, "stage": stage})
    return follow_event(LeadScoredEvent, event, producer="t", data=data, key=str(total))


async def test_nurture_then_route_once_and_never_again_on_rescore(db: Database) -> None:
    cfg = config(f"p{uuid4().hex[:6]}")
    async with db.session_scope() as session:
        await PoolStore(session).sync_config(cfg)
    deps = RouteDeps(db, cfg, lambda: NOW)
    first = scored_event(45)
    [nurture] = await handle(first.model_copy(update={"data": first.data.model_copy(update={"stage": "mql"})}), deps)
    assert isinstance(nurture, LeadNurtureEvent) and "stage mql" in nurture.data.reason

    ready = rescored(first, 80, "sql")
    [assigned] = await handle(ready, deps)
    assert isinstance(assigned, LeadAssignedEvent) and assigned.data.attempt == 1
    assert await handle(rescored(first, 95, "sql"), deps) == [], "a re-score does not re-route"
    [again] = await handle(ready, deps)
    assert again == assigned, "a redelivered input re-emits the same assignment"


async def test_day_cap_skips_the_rep_and_counts_only_today(db: Database) -> None:
    pool = f"p{uuid4().hex[:6]}"
    cfg = config(pool)
    async with db.session_scope() as session:
        await PoolStore(session).sync_config(cfg)
    deps = RouteDeps(db, cfg, lambda: NOW)
    owners = []
    for _ in range(4):
        [event] = await handle(scored_event(80), deps)
        assert isinstance(event, LeadAssignedEvent)
        owners.append(event.data.rep.id)
    assert owners.count(f"{pool}-a") == 1, owners
    assert any(f"{pool}-a: skipped, day cap reached (1/1 this day in UTC)" in line for line in event.data.trace)


async def test_least_loaded_sends_leads_to_the_rep_with_fewest_open(db: Database) -> None:
    pool = f"ll{uuid4().hex[:6]}"
    cfg = BusinessConfig.model_validate(
        {
            "reps": [{"id": f"{pool}-a", "name": "A"}, {"id": f"{pool}-b", "name": "B"}],
            "pools": [{"id": pool, "strategy": "least_loaded", "members": [f"{pool}-a", f"{pool}-b"]}],
            "routing": {"default_pool": pool},
        }
    )
    async with db.session_scope() as session:
        await PoolStore(session).sync_config(cfg)
        await PoolStore(session).set_paused(f"{pool}-b", True)
    deps = RouteDeps(db, cfg, lambda: NOW)

    async def owner() -> str:
        [event] = await handle(scored_event(80), deps)
        assert isinstance(event, LeadAssignedEvent)
        return event.data.rep.id

    assert [await owner(), await owner()] == [f"{pool}-a", f"{pool}-a"]
    async with db.session_scope() as session:
        await PoolStore(session).set_paused(f"{pool}-b", False)
    assert [await owner(), await owner()] == [f"{pool}-b", f"{pool}-b"], "b had fewer open leads"


async def test_a_batch_is_decided_in_order_against_one_snapshot_and_redelivers_the_same_outputs(
    db: Database,
) -> None:
    pool = f"p{uuid4().hex[:6]}"
    cfg = BusinessConfig.model_validate(
        {
            "reps": [{"id": f"{pool}-{r}", "name": r} for r in "abc"],
            "pools": [
                {
                    "id": pool,
                    "strategy": "weighted_round_robin",
                    "members": [f"{pool}-a", {"rep": f"{pool}-b", "weight": 2}, f"{pool}-c"],
                }
            ],
            "routing": {"default_pool": pool},
        }
    )
    async with db.session_scope() as session:
        await PoolStore(session).sync_config(cfg)
    deps = RouteDeps(db, cfg, lambda: NOW)
    leads = [scored_event(80) for _ in range(8)]
    early = scored_event(45)
    not_ready = early.model_copy(update={"data": early.data.model_copy(update={"stage": "mql"})})
    batch = [*leads[:4], not_ready, leads[0], rescored(leads[1], 95, "sql"), *leads[4:]]

    outputs = await handle_batch(batch, deps)

    assert [len(o) for o in outputs] == [1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1]
    assert isinstance(outputs[4][0], LeadNurtureEvent)
    assert outputs[5] == outputs[0], "the same input twice in a batch: the same assignment"
    assigned = [o[0] for i, o in enumerate(outputs) if i not in (4, 5, 6)]
    assert all(isinstance(e, LeadAssignedEvent) for e in assigned)
    reps = [e.data.rep.id for e in assigned if isinstance(e, LeadAssignedEvent)]
    assert Counter(reps) == {f"{pool}-a": 2, f"{pool}-b": 4, f"{pool}-c": 2}, "weights 1:2:1 over 8 leads"
    again = await handle_batch(batch, deps)
    assert [[e.event_id for e in o] for o in again] == [[e.event_id for e in o] for o in outputs], (
        "a redelivered batch re-emits the same events (the nurture one too)"
    )
    [next_one] = await handle(scored_event(80), deps)
    assert isinstance(next_one, LeadAssignedEvent)
    smooth_order = [e.data.rep.id for e in assigned if isinstance(e, LeadAssignedEvent)][:4]
    assert next_one.data.rep.id == smooth_order[0], "the credits the batch left carry on as if one at a time"
