"""score's handler and periodic re-scorer against real PostgreSQL and Kafka."""

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import orjson

from services.score.handler import ScoreDeps, handle, handle_batch
from services.score.rescorer import Rescorer
from shared.business.loader import load_config
from shared.db import Database
from shared.events import Event, LeadActivityEvent, LeadEnrichedEvent, LeadScoredEvent, follow_event, new_event
from shared.kafka import ensure_topics, make_producer
from shared.payloads import Activity
from shared.settings import ROOT
from tests.support.kafka_io import read_topic
from tests.support.stack import Stack
from tests.unit.factories import captured, enriched_lead

CONFIG = load_config(ROOT / "config" / "leadrelay.example.yaml")
T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def deps(db: Database, now: datetime) -> ScoreDeps:
    return ScoreDeps(db, CONFIG, lambda: now)


def activity(lead_id: object, kind: str, at: datetime) -> LeadActivityEvent:
    return new_event(LeadActivityEvent, lead_id=lead_id, producer="t", data=Activity(kind=kind, occurred_at=at))  # type: ignore[arg-type]


async def test_activity_before_enrichment_counts_once_the_lead_arrives(db: Database) -> None:
    cause = captured(email="d@initech.com")
    early = activity(cause.lead_id, "webinar_attended", T0)
    assert await handle(early, deps(db, T0)) == [], "no score without the lead's fit data"

    enriched = follow_event(LeadEnrichedEvent, cause, producer="t", data=enriched_lead(title=None))
    [scored] = await handle(enriched, deps(db, T0))
    assert isinstance(scored, LeadScoredEvent)
    assert (scored.data.fit, scored.data.intent, scored.data.stage) == (50, 10, "mql")

    assert await handle(early, deps(db, T0)) == [], "a duplicate activity changes nothing"
    [again] = await handle(enriched, deps(db, T0))
    assert again.event_id == scored.event_id, "a redelivered cause re-emits the same event"

    [demo] = await handle(activity(cause.lead_id, "demo_requested", T0), deps(db, T0))
    assert isinstance(demo, LeadScoredEvent) and (demo.data.total, demo.data.stage) == (120, "sql")


async def test_periodic_rescore_publishes_decay_once(stack: Stack, db: Database) -> None:
    settings = stack.settings(f"{stack.topic_prefix}rescore{uuid4().hex[:4]}.")
    await ensure_topics(settings)
    cause = captured(email="d@initech.com")
    await handle(follow_event(LeadEnrichedEvent, cause, producer="t", data=enriched_lead()), deps(db, T0))
    await handle(activity(cause.lead_id, "webinar_attended", T0), deps(db, T0))

    producer = make_producer(settings, "rescore-test")
    await producer.start()
    try:
        later = T0 + timedelta(days=30)
        changed = await Rescorer(deps(db, later), producer, settings).run_once()
        unchanged = await Rescorer(deps(db, later), producer, settings).run_once()
    finally:
        await producer.stop()

    assert changed >= 1 and unchanged == 0
    records = await read_topic(
        f"{settings.topic_prefix}lead.scored",
        until=lambda rs: any(r.key == str(cause.lead_id).encode() for r in rs),
        settle=0.5,
    )
    [event] = [orjson.loads(r.value) for r in records if r.key == str(cause.lead_id).encode()]
    assert event["data"]["intent"] == 5 - 10, "half the webinar points, and 30 days of inactivity"


async def test_a_batch_scores_each_lead_once_with_its_last_event_as_the_cause(db: Database) -> None:
    one, two = captured(email="one@initech.com"), captured(email="two@initech.com")
    batch: list[Event] = [
        follow_event(LeadEnrichedEvent, one, producer="t", data=enriched_lead(title=None)),
        follow_event(LeadEnrichedEvent, two, producer="t", data=enriched_lead(title=None)),
        activity(one.lead_id, "webinar_attended", T0),
        activity(one.lead_id, "demo_requested", T0),
    ]
    outputs = await handle_batch(batch, deps(db, T0))
    assert [len(o) for o in outputs] == [0, 1, 0, 1], "one event per lead, after that lead's last input"
    first, second = outputs[3][0], outputs[1][0]
    assert isinstance(first, LeadScoredEvent) and isinstance(second, LeadScoredEvent)
    assert (first.lead_id, first.data.total, first.data.stage) == (one.lead_id, 120, "sql")
    assert (second.lead_id, second.data.total) == (two.lead_id, 50)
    again = await handle_batch(batch, deps(db, T0))
    assert [[e.event_id for e in o] for o in again] == [[e.event_id for e in o] for o in outputs], (
        "a redelivered batch re-emits the same events"
    )
    [single] = await handle(activity(two.lead_id, "demo_requested", T0), deps(db, T0))
    assert isinstance(single, LeadScoredEvent) and single.data.total == 110
