"""notify publishes each alert's outcome on lead.notified (real PostgreSQL, Kafka and the Slack
stand-in): one event when sent, one when it cannot be sent, one more when the provider reports a new
status; publishing again adds nothing."""

import uuid
from datetime import UTC, datetime
from typing import Any

import orjson
from aiokafka import ConsumerRecord

from services.notify import repository
from services.notify.handler import handle
from services.notify.outcomes import OutcomePublisher
from shared.db import Database
from shared.kafka import ensure_topics, make_producer
from shared.topics import Topic
from tests.integration.test_notify_delivery import Notify, assigned, notify, settled  # noqa: F401
from tests.support.kafka_io import read_topic
from tests.support.stack import Stack


async def publish_all(publisher: OutcomePublisher) -> int:
    total = 0
    while (n := await publisher.publish_batch()) > 0:
        total += n
    return total


async def test_each_outcome_is_published_once_and_a_provider_status_once_more(
    notify: Notify,  # noqa: F811 (the fixture imported above)
    stack: Stack,
    db: Database,
) -> None:
    settings = stack.settings(topic_prefix=f"{stack.topic_prefix}o{uuid.uuid4().hex[:4]}.")
    await ensure_topics(settings, [Topic.LEAD_NOTIFIED.value])
    producer = make_producer(settings, "test-outcomes")
    await producer.start()
    try:
        publisher = OutcomePublisher(db, producer, settings)
        sent, unsendable = assigned(), assigned(slack=None)
        arrived = datetime(2026, 12, 7, 9, 30, 1, 250000, tzinfo=UTC)
        sent = sent.model_copy(update={"data": sent.data.model_copy(update={"attempt": 2, "lead_arrived_at": arrived})})
        await handle(sent, notify.deps)
        await handle(unsendable, notify.deps)
        rows = await settled(stack, [sent.data.assignment_id, unsendable.data.assignment_id])
        assert await publish_all(publisher) >= 2
        ts = rows[sent.data.assignment_id]["external_id"]
        async with db.session_scope() as session:
            assert await repository.record_provider_status(session, "slack", ts, "read")
        assert await publish_all(publisher) >= 1
        assert await publish_all(publisher) == 0, "nothing left to publish"
    finally:
        await producer.stop()

    ours = {str(sent.lead_id), str(unsendable.lead_id)}

    def events(records: list[ConsumerRecord]) -> list[dict[str, Any]]:
        found = [orjson.loads(r.value) for r in records]
        return [e for e in found if e["lead_id"] in ours]

    records = await read_topic(f"{settings.topic_prefix}lead.notified", lambda r: len(events(r)) >= 3, settle=1.0)
    got = sorted((e["data"]["status"], e["data"]["provider_status"] or "-") for e in events(records))
    assert got == [("failed", "-"), ("sent", "-"), ("sent", "read")]
    by_status = {e["data"]["status"]: e for e in events(records) if e["data"]["provider_status"] is None}
    assert by_status["sent"]["data"]["external_id"] == ts and by_status["sent"]["data"]["rep_id"] == "bruno"
    assert by_status["sent"]["data"]["assignment_id"] == str(sent.data.assignment_id)
    assert by_status["sent"]["data"]["attempt"] == 2
    assert datetime.fromisoformat(by_status["sent"]["origin_at"]) == arrived, "timed from the lead's arrival"
    assert by_status["failed"]["origin_at"] is None and by_status["failed"]["data"]["attempt"] == 1
    assert "no slack address" in by_status["failed"]["data"]["error"]
    assert len({e["event_id"] for e in events(records)}) == 3
