"""notify's batch handler over the in-memory unit of work: the escalation digest threshold, pacing
(now or a later slot), unsendable alerts and claims, with no PostgreSQL. The digest store's SQL
twin is tested in tests/integration/test_escalation_digests.py, two instances at once included."""

import time
from uuid import UUID, uuid4

from services.notify.channels.base import Channel
from services.notify.handler import record_batch
from shared.business.notifications import EscalationDigest
from shared.events import Event, LeadAcknowledgedEvent, LeadAssignedEvent, follow_event, new_event
from shared.payloads import Acknowledgement, Assignment, LeadSummary, RepContact
from tests.support.fake_notify_uow import FakeNotifyUnitOfWork, NotifyTables

POLICY = EscalationDigest(window_seconds=600, threshold=3, update_seconds=30)
NOW = 1_800_000_000.0


class Slack:
    name = "slack"

    def target(self, a: Assignment) -> str | None:
        return a.rep.slack


class Pacing:
    """One alert per second per recipient, as Slack allows per conversation."""

    def __init__(self) -> None:
        self.sender = uuid4()
        self.alive = True
        self.next: dict[str, float] = {}

    def slot(self, channel: str, target: str, now: float) -> float:
        at = max(now, self.next.get(target, now))
        self.next[target] = at + 1.0
        return at


CHANNELS: dict[str, Channel] = {"slack": Slack()}  # type: ignore[dict-item]


def alert(rep: str, outcome: str = "assigned", channels: list[str] | None = None) -> LeadAssignedEvent:
    a = Assignment(
        assignment_id=uuid4(),
        attempt=1 if outcome == "assigned" else 4,
        pool_id="inbound",
        rep=RepContact(id=rep, name=rep.title(), slack=f"U{rep.upper()}" if rep != "nobody" else None),
        reason="test",
        lead=LeadSummary(
            name="Lead", email=None, phone=None, company=None, title=None, source="web", score=50, reasons=[]
        ),
        outcome=outcome,
        channels=channels or ["slack"],
    )
    return new_event(LeadAssignedEvent, lead_id=uuid4(), producer="test", data=a)


class Notify:
    def __init__(self) -> None:
        self.tables = NotifyTables()
        self.pacing = Pacing()

    async def batch(self, *events: Event, now: float = NOW) -> tuple[list[UUID], list[UUID], FakeNotifyUnitOfWork]:
        """(assignments sent now, assignments queued for a later slot, the unit of work)."""
        async with FakeNotifyUnitOfWork(self.tables) as uow:
            recorded = await record_batch(events, uow, CHANNELS, self.pacing, POLICY, now)
        queued = [r.assignment.assignment_id for r in recorded.rows if not r.send_now]
        return [d.assignment.assignment_id for d in recorded.sending], queued, uow


async def test_the_first_threshold_escalations_of_a_window_go_alone_the_rest_join_the_digest() -> None:
    notify = Notify()
    storm = [alert("maya", "escalated") for _ in range(5)]
    now, later, uow = await notify.batch(*storm[:2])
    assert len(now) + len(later) == 2
    now2, later2, _ = await notify.batch(*storm[2:])
    alone = now + later + now2 + later2
    assert alone == [e.data.assignment_id for e in storm[:3]], "three alone, in order, across two batches"
    digested = [k for k, item in notify.tables.items.items() if not item.individual]
    assert [a for a, _ in digested] == [e.data.assignment_id for e in storm[3:]]
    assert set(uow.calls.values()) == {1}, "one call per repository method per batch"

    again = await notify.batch(*storm)
    assert again[:2] == ([], []), "a redelivered storm is counted once and sends nothing again"
    next_window = await notify.batch(alert("maya", "escalated"), now=NOW + POLICY.window_seconds)
    assert len(next_window[0] + next_window[1]) == 1, "a new window starts a new count"


async def test_an_alert_whose_slot_is_now_is_sent_at_once_and_a_flood_waits_for_its_slots() -> None:
    notify = Notify()
    flood = [alert("ann") for _ in range(3)]
    bob = alert("bob")
    now, later, _ = await notify.batch(*flood, bob)
    assert now == [flood[0].data.assignment_id, bob.data.assignment_id], "each rep's first alert goes at once"
    assert later == [e.data.assignment_id for e in flood[1:]], "ann's next two wait for their slots"
    assert notify.tables.deliveries[(flood[1].data.assignment_id, "slack")] == "queued"
    recorded = dict(notify.tables.deliveries)
    sent_again, _, _ = await notify.batch(*flood, bob)
    assert sent_again == [] and notify.tables.deliveries == recorded, "a redelivery records and sends nothing"


async def test_an_alert_that_cannot_be_sent_is_recorded_failed_and_a_claim_shows_on_the_digest() -> None:
    notify = Notify()
    nowhere = alert("nobody")
    no_channel = alert("ann", channels=["pager"])
    await notify.batch(nowhere, no_channel)
    assert notify.tables.deliveries[(nowhere.data.assignment_id, "slack")] == "failed"
    assert notify.tables.deliveries[(no_channel.data.assignment_id, "pager")] == "failed"

    storm = [alert("maya", "escalated") for _ in range(4)]
    await notify.batch(*storm)
    digested = storm[3]
    notify.tables.dirty.clear()
    ack = follow_event(
        LeadAcknowledgedEvent,
        digested,
        producer="route",
        data=Acknowledgement(
            assignment_id=digested.data.assignment_id, rep_id="maya", claimed_at=digested.occurred_at, via="api"
        ),
    )
    await notify.batch(ack, now=time.time())
    assert notify.tables.items[(digested.data.assignment_id, "slack")].claimed_by == "maya"
    assert notify.tables.dirty, "the digest is due to be updated to show the claim"
