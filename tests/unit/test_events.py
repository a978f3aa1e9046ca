from uuid import uuid4

import orjson
import pytest
from pydantic import ValidationError

from shared.events import (
    LeadCapturedEvent,
    LeadEnrichedEvent,
    follow_event,
    kafka_headers,
    parse_event,
    serialize_event,
)
from tests.unit.factories import captured, enriched_lead, scored


def test_every_event_round_trips_through_bytes() -> None:
    original = captured(email="a@b.com", utm={"source": "google"}, extra={"plan": "pro"})
    for event in (original, scored()):
        assert parse_event(serialize_event(event)) == event


def test_v1_lead_captured_is_upcast_to_v2_before_validation() -> None:
    current = captured(email="a@b.com")
    raw = orjson.loads(serialize_event(current))
    raw["version"] = 1
    fields = raw["data"]["fields"]
    del fields["utm"]
    fields["utm_source"] = "newsletter"
    fields["utm_campaign"] = "spring"

    parsed = parse_event(orjson.dumps(raw))

    assert isinstance(parsed, LeadCapturedEvent)
    assert parsed.version == 2
    assert parsed.data.fields.utm == {"source": "newsletter", "campaign": "spring"}


def test_unknown_type_and_garbage_are_rejected() -> None:
    raw = orjson.loads(serialize_event(captured(email="a@b.com")))
    raw["type"] = "lead.teleported"
    with pytest.raises(ValidationError):
        parse_event(orjson.dumps(raw))
    with pytest.raises(ValueError):
        parse_event(b"not json")
    with pytest.raises(ValueError):
        parse_event(b"[1, 2]")


def test_events_are_frozen() -> None:
    event = captured(email="a@b.com")
    with pytest.raises(ValidationError):
        event.lead_id = uuid4()  # type: ignore[misc]


def test_follow_event_keeps_lead_and_correlation_and_derives_a_stable_id() -> None:
    cause = captured(email="a@b.com")
    first = follow_event(LeadEnrichedEvent, cause, producer="enrich", data=enriched_lead())
    again = follow_event(LeadEnrichedEvent, cause, producer="enrich", data=enriched_lead())

    assert first.event_id == again.event_id != cause.event_id
    assert first.lead_id == cause.lead_id
    assert first.correlation_id == cause.correlation_id
    assert first.causation_id == cause.event_id


def test_headers_carry_type_version_and_traceparent() -> None:
    event = captured(email="a@b.com")
    headers = dict(kafka_headers(event))
    assert headers["type"] == b"lead.captured"
    assert headers["version"] == b"2"
    assert headers["traceparent"].decode().split("-")[1] == event.correlation_id.hex


def test_the_direct_json_path_refuses_what_the_dict_path_refuses() -> None:
    """Types without an upcaster are validated from the JSON bytes directly: the same event, and a
    non-object, an unknown field or a naive timestamp is still a ValueError."""
    event = scored()
    assert parse_event(serialize_event(event)) == event
    raw = orjson.loads(serialize_event(event))
    for broken in ({**raw, "surprise": 1}, {**raw, "occurred_at": "2026-12-07T03:00:00"}, [raw]):
        with pytest.raises(ValueError):
            parse_event(orjson.dumps(broken))
