"""route's cores over the in-memory unit of work: routed once, round robin across batches, sticky
routing, SLA clocks, recycling and nurture news, with no PostgreSQL. The SQL twins of the fake's
methods are covered by tests/integration/test_route_handler.py and the e2e tier."""

from datetime import UTC, datetime, timedelta

import pytest

from services.route.claims import claim_in
from services.route.handler import route_batch
from services.route.reassign import reassign_in
from services.route.recycling import recycle_stalled
from services.route.rejections import reject_in
from services.route.sla import fire_due
from shared.business.loader import BusinessConfig
from shared.events import (
    LeadAcknowledgedEvent,
    LeadActivityEvent,
    LeadAssignedEvent,
    LeadNurtureEvent,
    LeadScoredEvent,
    follow_event,
)
from tests.support.events import scored_event
from tests.support.fake_route_uow import FakeRouteUnitOfWork, RouteTables

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
CONFIG = BusinessConfig.model_validate(
    {
        "reps": [{"id": r, "name": r.title()} for r in ("ann", "bob", "cat", "max")],
        "pools": [{"id": "inbound", "members": ["ann", "bob", "cat"], "manager": "max"}],
        "routing": {
            "default_pool": "inbound",
            "sla": {"default_minutes": 10, "max_attempts": 2},
            "recycling": {"stalled_days": 7},
        },
    }
)


class Route:
    def __init__(self) -> None:
        self.tables = RouteTables.for_config(CONFIG)
        self.last: FakeRouteUnitOfWork | None = None

    def uow(self) -> FakeRouteUnitOfWork:
        self.last = FakeRouteUnitOfWork(self.tables, CONFIG)
        return self.last

    async def batch(self, *events: LeadScoredEvent, now: datetime = NOW) -> list[list[object]]:
        async with self.uow() as uow:
            return [list(out) for out in await route_batch(events, uow, CONFIG, now)]

    async def route(self, event: LeadScoredEvent, now: datetime = NOW) -> LeadAssignedEvent:
        [[assigned]] = await self.batch(event, now=now)
        assert isinstance(assigned, LeadAssignedEvent)
        return assigned


def rescored(event: LeadScoredEvent, total: int, stage: str = "sql") -> LeadScoredEvent:
    data = event.data.model_copy(update={"total": total, "stage": stage})
    return follow_event(LeadScoredEvent, event, producer="t", data=data, key=f"{total}:{stage}")


def sales_ready(email: str | None = None) -> LeadScoredEvent:
    event = scored_event(90, email)
    return event.model_copy(update={"data": event.data.model_copy(update={"stage": "sql"})})


async def test_a_lead_is_routed_once_and_a_redelivered_score_re_emits_the_same_assignment() -> None:
    route = Route()
    first = sales_ready()
    assigned = await route.route(first)
    assert await route.batch(rescored(first, 99)) == [[]], "a re-score does not route again"
    assert await route.batch(first) == [[assigned]], "a redelivery gets the same event, same id"
    assert [a.row.attempt for a in route.tables.assignments] == [1]


async def test_a_batch_costs_one_call_per_repository_method_whatever_its_size() -> None:
    route = Route()
    nurture = [rescored(scored_event(30), 30, "mql") for _ in range(5)]
    ready = [sales_ready() for _ in range(15)]
    outputs = await route.batch(*nurture, *ready)
    assert all(isinstance(out, LeadNurtureEvent) for [out] in outputs[:5])
    assert all(isinstance(out, LeadAssignedEvent) for [out] in outputs[5:])
    assert route.last is not None
    assert set(route.last.calls.values()) == {1}, route.last.calls


async def test_round_robin_stays_exact_across_batches() -> None:
    route = Route()
    owners = []
    for size in (1, 4, 2, 2):
        outputs = await route.batch(*(sales_ready() for _ in range(size)))
        owners += [out.data.rep.id for [out] in outputs if isinstance(out, LeadAssignedEvent)]
    assert owners == ["ann", "bob", "cat"] * 3


async def test_the_same_person_sticks_to_the_rep_who_has_their_open_lead() -> None:
    route = Route()
    first = await route.route(sales_ready("pat@acme.com"))
    await route.route(sales_ready())
    again = await route.route(sales_ready("pat@acme.com"))
    assert again.data.rep.id == first.data.rep.id
    assert f"sticky: {first.data.rep.id} keeps this person" in "\n".join(again.data.trace)


async def test_an_unclaimed_lead_moves_on_when_its_clock_runs_out_then_goes_to_the_manager() -> None:
    route = Route()
    first = await route.route(sales_ready())
    async with route.uow() as uow:
        assert await fire_due(uow, CONFIG, NOW + timedelta(minutes=9)) == 0
    async with route.uow() as uow:
        assert await fire_due(uow, CONFIG, NOW + timedelta(minutes=11)) == 1
    [second] = uow.published
    assert isinstance(second, LeadAssignedEvent) and second.data.attempt == 2
    assert second.data.rep.id != first.data.rep.id
    assert second.data.reason.startswith(f"Reassigned, {first.data.rep.id} did not claim in time")
    async with route.uow() as uow:
        assert await fire_due(uow, CONFIG, NOW + timedelta(minutes=30)) == 1
    [third] = uow.published
    assert isinstance(third, LeadAssignedEvent)
    assert (third.data.outcome, third.data.rep.id) == ("escalated", "max")
    assert [a.status for a in route.tables.of_lead(first.lead_id)] == ["expired", "expired", "pending"]


async def test_a_claim_stops_the_clock_and_publishes_the_acknowledgement() -> None:
    route = Route()
    assigned = await route.route(sales_ready())
    async with route.uow() as uow:
        answer = await claim_in(uow, CONFIG, assigned.data.assignment_id, assigned.data.rep.id, "api")
    assert answer.status == 200
    [ack] = uow.published
    assert isinstance(ack, LeadAcknowledgedEvent) and ack.data.rep_id == assigned.data.rep.id
    async with route.uow() as uow:
        assert await fire_due(uow, CONFIG, NOW + timedelta(hours=1)) == 0
    assert uow.published == []


async def test_a_lead_turned_down_as_not_a_fit_comes_back_only_with_a_higher_score_and_not_to_that_rep() -> None:
    route = Route()
    scored = sales_ready()
    assigned = await route.route(scored)
    rep = assigned.data.rep.id
    async with route.uow() as uow:
        answer = await reject_in(uow, CONFIG, assigned.data.assignment_id, rep, "not_a_fit", NOW)
    assert answer.body["next"]["outcome"] == "nurture"
    assert [type(e) for e in uow.published] == [LeadNurtureEvent, LeadActivityEvent]
    assert await route.batch(rescored(scored, 90)) == [[]], "the same score is not new evidence"
    again = await route.route(rescored(scored, 95))
    assert again.data.attempt == 2 and again.data.rep.id != rep
    assert again.data.reason.startswith("Routed again after recycling: score 95 beats 90")


async def test_a_claimed_lead_with_no_progress_is_recycled_after_stalled_days() -> None:
    route = Route()
    assigned = await route.route(sales_ready())
    async with route.uow() as uow:
        await claim_in(uow, CONFIG, assigned.data.assignment_id, assigned.data.rep.id, "api")
    async with route.uow() as uow:
        assert await recycle_stalled(uow, CONFIG, NOW + timedelta(days=6)) == 0
    async with route.uow() as uow:
        assert await recycle_stalled(uow, CONFIG, NOW + timedelta(days=8)) == 1
    [nurture] = uow.published
    assert isinstance(nurture, LeadNurtureEvent) and nurture.data.reason.startswith("No progress for 7 days")


async def test_nurture_is_news_once_per_stage_and_score_and_a_redelivery_repeats_it() -> None:
    route = Route()
    first = rescored(scored_event(30), 30, "mql")
    [[news]] = await route.batch(first)
    assert isinstance(news, LeadNurtureEvent)
    same_again = rescored(first, 30, "mql")
    [quiet, [repeat]] = await route.batch(same_again, first)
    assert quiet == [] and isinstance(repeat, LeadNurtureEvent) and repeat.event_id == news.event_id
    outputs = await route.batch(rescored(first, 40, "mql"), rescored(same_again, 40, "mql"))
    assert [len(o) for o in outputs] == [1, 0], "in one batch, the second of two equal scores is not news"
    assert route.tables.nurtured[first.lead_id].score == 40


async def test_a_failed_unit_of_work_leaves_nothing_behind() -> None:
    route = Route()
    with pytest.raises(RuntimeError):
        async with route.uow() as uow:
            await route_batch([sales_ready()], uow, CONFIG, NOW)
            uow.publish(scored_event(1))
            raise RuntimeError("the broker refused the batch")
    assert route.tables.assignments == [] and route.tables.inputs == {}
    assert uow.published == [] and uow.commits == 0
    assert (await route.route(sales_ready())).data.rep.id == "ann", "credits untouched"


async def test_the_clocks_due_in_a_tick_fire_together_at_one_call_per_repository_method() -> None:
    route = Route()
    firsts = [out for [out] in await route.batch(*(sales_ready() for _ in range(6)))]
    async with route.uow() as uow:
        assert await fire_due(uow, CONFIG, NOW + timedelta(minutes=11)) == 6
    assert set(uow.calls.values()) == {1}, uow.calls
    again = {e.lead_id: e for e in uow.published if isinstance(e, LeadAssignedEvent)}
    assert len(again) == 6
    for first in firsts:
        assert isinstance(first, LeadAssignedEvent)
        assert again[first.lead_id].data.rep.id != first.data.rep.id, "never back to the rep who missed it"


async def test_a_clock_that_cannot_fire_is_put_off_and_the_others_still_fire() -> None:
    route = Route()
    good, bad = await route.route(sales_ready()), await route.route(sales_ready())
    route.tables.inputs[bad.lead_id] = {"not": "a lead.scored event"}
    async with route.uow() as uow:
        assert await fire_due(uow, CONFIG, NOW + timedelta(minutes=11)) == 2
    assert [e.lead_id for e in uow.published] == [good.lead_id]
    [stuck] = route.tables.of_lead(bad.lead_id)
    assert stuck.status == "pending" and stuck.sla_due_at == NOW + timedelta(minutes=12)


async def test_an_operator_moves_a_lead_to_a_chosen_rep_or_back_through_the_pool() -> None:
    route = Route()
    first = await route.route(sales_ready())
    lead = first.lead_id
    async with route.uow() as uow:
        moved = await reassign_in(uow, CONFIG, lead, "cat", "knows the account", "ops", NOW)
    assert moved.status == 200 and moved.body["from"] == first.data.rep.id and moved.body["to"] == "cat"
    assert route.last is not None
    [event] = route.last.published
    assert isinstance(event, LeadAssignedEvent) and event.data.rep.id == "cat" and event.data.attempt == 2
    assert "reassigned by ops from" in event.data.trace[0] and event.data.sla_due_at is not None
    assert [a.status for a in route.tables.of_lead(lead)] == ["reassigned", "pending"]
    assert route.tables.audit[-1][:3] == ("ops", "lead reassigned", f"lead {lead}")

    async with route.uow() as uow:
        again = await reassign_in(uow, CONFIG, lead, None, "cat is out", "ops", NOW)
    assert again.status == 200 and again.body["to"] not in {first.data.rep.id, "cat"}, (
        "the pool's next who has not had it"
    )
    async with route.uow() as uow:
        same = await reassign_in(uow, CONFIG, lead, again.body["to"], "x", "ops", NOW)
        nobody = await reassign_in(uow, CONFIG, lead, "zed", "x", "ops", NOW)
        unknown = await reassign_in(uow, CONFIG, sales_ready().lead_id, None, "x", "ops", NOW)
    assert (same.status, nobody.status, unknown.status) == (409, 422, 404)
