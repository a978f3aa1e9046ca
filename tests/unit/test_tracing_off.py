"""With tracing off (no OTLP endpoint), nothing is recorded, but each message's trace context is
forwarded unchanged to the messages it causes, and a chain's first message gets one of its own."""

import uuid

from shared import tracing
from shared.events import LeadCapturedEvent, kafka_headers
from tests.unit.factories import captured

INCOMING = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def header(headers: list[tuple[str, bytes]]) -> str:
    return dict(headers)["traceparent"].decode()


def test_outputs_carry_the_input_messages_traceparent_unchanged() -> None:
    assert not tracing._enabled
    event: LeadCapturedEvent = captured()
    span = tracing.consumer_span("enrich", "lead.captured", [("traceparent", INCOMING.encode())])
    with span.activate():
        assert header(kafka_headers(event)) == INCOMING
    with tracing.event_spans({event.event_id: span}):
        assert tracing.traceparent_of(event.event_id) == INCOMING
    assert header(kafka_headers(event)).split("-")[1] == event.correlation_id.hex, "outside a message: its own"


def test_a_message_without_trace_context_starts_none_and_batches_cost_nothing() -> None:
    span = tracing.consumer_span("score", "lead.enriched", [])
    with span.activate(), tracing.batch_span("score", [span]):
        assert tracing.current_traceparent() is None
    assert tracing.traceparent_of(uuid.uuid4()) is None
