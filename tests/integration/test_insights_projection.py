"""insights' projection against the real PostgreSQL: the reports computed from it are right, and
stay identical when the events are replayed again (duplicates) or arrive in any other order, which
is what a rebuild from offset 0 (topics read in any interleaving) does."""

import random
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import text

from services.insights import handler, queries, reports
from shared.business.loader import load_config
from shared.db import Database
from shared.events import (
    EnvelopeBase,
    Event,
    LeadAcknowledgedEvent,
    LeadAssignedEvent,
    LeadCapturedEvent,
    LeadEnrichedEvent,
    LeadNotifiedEvent,
    LeadNurtureEvent,
    LeadScoredEvent,
)
from shared.payloads import (
    Acknowledgement,
    Assignment,
    CapturedLead,
    Contribution,
    LeadFields,
    LeadSummary,
    Notified,
    Nurture,
    RepContact,
    ScoredLead,
)
from tests.support.stack import ROOT
from tests.unit.factories import enriched_lead

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
CONFIG = load_config(ROOT / "config" / "leadrelay.example.yaml")


def _env(cls: type[EnvelopeBase], lead: UUID, at: datetime, data: Any) -> Event:
    event = cls.model_validate(
        {
            "event_id": uuid4(),
            "occurred_at": at,
            "lead_id": lead,
            "correlation_id": lead,
            "producer": "test",
            "origin_at": T0 if cls is not LeadCapturedEvent else None,
            "data": data,
        }
    )
    return event  # type: ignore[return-value]


def story(source: str, lead: UUID, *, rep: str, claim_after: float | None, stage: str, minute: int) -> list[Event]:
    """One lead's events: captured at T0+minute; scored; routed (when sql) to `rep`, alerted 2 s after
    arriving and claimed `claim_after` s after the alert, or reassigned once its 5-minute SLA ran out."""
    start = T0 + timedelta(minutes=minute)
    fields = LeadFields(email=f"{lead.hex[:6]}@initech.com", name="Dana Reyes", utm={"campaign": "spring"})
    captured = CapturedLead(source=source, received_at=start, receipt_id=uuid4(), fields=fields)
    total = 90 if stage == "sql" else 20
    scored = ScoredLead(
        lead=enriched_lead(),
        fit=total,
        intent=0,
        total=total,
        contributions=[Contribution(rule_id="senior_title", points=total, why="Senior title")],
        grade="A1",
        stage=stage,
        scored_at=start + timedelta(milliseconds=20),
    )
    events: list[Event] = [
        _env(LeadCapturedEvent, lead, start, captured),
        _env(LeadEnrichedEvent, lead, start + timedelta(milliseconds=10), enriched_lead()),
        _env(LeadScoredEvent, lead, start + timedelta(milliseconds=20), scored),
    ]
    if stage != "sql":
        return [
            *events,
            _env(LeadNurtureEvent, lead, start + timedelta(milliseconds=30), Nurture(reason="below sql", score=20)),
        ]
    summary = LeadSummary(
        name="Dana", email=None, phone=None, company=None, title=None, source=source, score=90, reasons=[]
    )

    def assignment(attempt: int, who: str, at: datetime) -> Assignment:
        return Assignment(
            assignment_id=uuid4(),
            lead_arrived_at=start,
            attempt=attempt,
            pool_id="inbound",
            rep=RepContact(id=who, name=who.title()),
            reason="round robin",
            lead=summary,
            trace=["rule default -> pool inbound", f"picked {who}"],
            sla_due_at=at + timedelta(minutes=5),
        )

    first = assignment(1, rep, start + timedelta(milliseconds=30))
    alert_at = start + timedelta(seconds=2)
    events += [
        _env(LeadAssignedEvent, lead, start + timedelta(milliseconds=30), first),
        _env(
            LeadNotifiedEvent,
            lead,
            alert_at,
            Notified(
                assignment_id=first.assignment_id,
                attempt=1,
                rep_id=rep,
                channel="slack",
                status="sent",
                at=alert_at,
                tries=1,
            ),
        ),
    ]
    if claim_after is not None:
        at = alert_at + timedelta(seconds=claim_after)
        ack = Acknowledgement(assignment_id=first.assignment_id, rep_id=rep, claimed_at=at, via="slack")
        return [*events, _env(LeadAcknowledgedEvent, lead, at, ack)]
    second = assignment(2, "chen", start + timedelta(minutes=5))
    return [*events, _env(LeadAssignedEvent, lead, start + timedelta(minutes=5), second)]


async def project_each(db: Database, events: list[Event]) -> None:
    for event in events:
        await handler.handle_batch([event], db)


async def computed(db: Database, source: str) -> dict[str, Any]:
    now = T0 + timedelta(hours=2)
    async with db.session_scope() as session:
        leads, assignments = await queries.report_rows(session, queries.ReportFilters(source=source))
    return {
        "speed": reports.speed_to_lead(leads, assignments),
        "funnel": reports.funnel(leads, assignments, now),
        "fairness": reports.fairness(CONFIG, assignments),
    }


async def forget(db: Database, leads: list[UUID]) -> None:
    async with db.session_scope() as session:
        for table in ("timeline", "alerts", "assignments", "leads"):
            await session.execute(text(f"DELETE FROM insights.{table} WHERE lead_id = ANY(:l)"), {"l": leads})


async def test_reports_are_right_and_identical_after_replays_in_any_order(db: Database) -> None:
    source = f"proj{uuid4().hex[:8]}"
    leads = [uuid4() for _ in range(4)]
    events = (
        story(source, leads[0], rep="alice", claim_after=40, stage="sql", minute=0)
        + story(source, leads[1], rep="bruno", claim_after=400, stage="sql", minute=1)
        + story(source, leads[2], rep="bruno", claim_after=None, stage="sql", minute=2)
        + story(source, leads[3], rep="alice", claim_after=None, stage="lead", minute=3)
    )
    await project_each(db, events)
    first = await computed(db, source)

    headline = first["speed"]["headline"]
    assert (headline["leads"], headline["alerted"], headline["claimed"]) == (3, 3, 2)
    assert (headline["to_alert_p50"], headline["to_claim_p50"], headline["to_claim_p90"]) == (2.0, 42.0, 402.0)
    assert headline["claimed_within_5_minutes"] == round(1 / 3, 4)
    total = first["funnel"]["total"]
    assert [total[s] for s in reports.FUNNEL_STEPS] == [4, 3, 3, 3, 2]
    assert first["funnel"]["by_campaign"][0]["key"] == "spring"
    assert first["funnel"]["nurture_backlog"]["size"] == 1
    [inbound] = [p for p in first["fairness"]["pools"] if p["pool"] == "inbound"]
    by_rep = {m["rep"]: m for m in inbound["members"]}
    assert (by_rep["bruno"]["assigned"], by_rep["bruno"]["reassigned_away"], by_rep["chen"]["assigned"]) == (2, 1, 1)

    await project_each(db, events)
    assert await computed(db, source) == first, "a replayed event changes nothing"

    for seed in (1, 2, 3):
        await forget(db, leads)
        shuffled = list(events)
        random.Random(seed).shuffle(shuffled)
        await handler.handle_batch(shuffled, db)
        assert await computed(db, source) == first, f"order {seed} gives other reports"

    await forget(db, leads)
    await handler.handle_batch(events + events[::-1], db)
    assert await computed(db, source) == first, "a batch holding every event twice changes nothing"

    async with db.session_scope() as session:
        page = await queries.lead_page(session, leads[2])
    assert page is not None
    kinds = [t["kind"] for t in page["timeline"]]
    assert kinds == ["captured", "enriched", "scored", "assigned", "alert", "assigned"]
