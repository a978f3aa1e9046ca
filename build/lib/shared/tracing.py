"""OpenTelemetry tracing: one lead's journey is one trace, from capture's HTTP intake through every
stage to notify's Slack, Twilio or SMTP call. The W3C `traceparent` travels in each Kafka message's
headers (and in capture's outbox row and notify's delivery row, which outlive the request that
wrote them).

Off by default: with no `LEADRELAY_OTLP_ENDPOINT` the API's no-op tracer is used, which records
nothing and costs next to nothing but still forwards the incoming trace context, so a collector
added to one service later sees whole traces."""

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any
from uuid import UUID

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Link, Span, SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

log = logging.getLogger(__name__)
PROPAGATOR = TraceContextTextMapPropagator()
tracer = trace.get_tracer("leadrelay")

_event_spans: ContextVar[dict[UUID, Span] | None] = ContextVar("event_spans", default=None)


def setup(service: str, otlp_endpoint: str | None) -> bool:
    """Install the SDK with an OTLP/HTTP exporter and the maintained instrumentations (FastAPI is
    instrumented per app, see `instrument_app`) when an endpoint is configured; True if so."""
    if not otlp_endpoint:
        return False
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": f"leadrelay-{service}"}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=otlp_endpoint)))
    trace.set_tracer_provider(provider)
    HTTPXClientInstrumentor().instrument()
    AsyncPGInstrumentor().instrument()  # type: ignore[no-untyped-call]
    log.info("tracing to %s", otlp_endpoint)
    return True


def shutdown() -> None:
    """Flush spans still buffered (the SDK's provider only)."""
    provider: Any = trace.get_tracer_provider()
    if hasattr(provider, "shutdown"):
        provider.shutdown()


def instrument_app(app: Any) -> None:
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(app, excluded_urls="healthz,readyz,metrics")


def extract(headers: Sequence[tuple[str, bytes]] | None) -> Context:
    carrier = {k: v.decode("latin-1") for k, v in headers or () if k == "traceparent" or k == "tracestate"}
    return PROPAGATOR.extract(carrier)


def from_traceparent(value: str | None) -> Context:
    return PROPAGATOR.extract({"traceparent": value} if value else {})


def current_traceparent() -> str | None:
    """The current span's `traceparent`, or None when there is no valid span."""
    carrier: dict[str, str] = {}
    PROPAGATOR.inject(carrier)
    return carrier.get("traceparent")


def consumer_span(stage: str, topic: str, headers: Sequence[tuple[str, bytes]] | None) -> Span:
    """A span for one input message, child of the span that produced it (started, not current)."""
    return tracer.start_span(
        f"{stage} process",
        context=extract(headers),
        kind=SpanKind.CONSUMER,
        attributes={"messaging.system": "kafka", "messaging.destination.name": topic},
    )


@contextmanager
def batch_span(stage: str, spans: Sequence[Span]) -> Iterator[Span]:
    """The span a batch's shared work (one transaction for all of it) runs in, linked to each
    message's span; `spans_by_event` lets a handler find one message's span meanwhile."""
    links = [Link(s.get_span_context()) for s in spans if s.get_span_context().is_valid]
    with tracer.start_as_current_span(
        f"{stage} batch", links=links, attributes={"messaging.batch.message_count": len(spans)}
    ) as span:
        yield span


@contextmanager
def event_spans(spans: dict[UUID, Span]) -> Iterator[None]:
    token = _event_spans.set(spans)
    try:
        yield
    finally:
        _event_spans.reset(token)


def traceparent_of(event_id: UUID) -> str | None:
    """The `traceparent` of the span handling this input event (for work it hands to later)."""
    span = (_event_spans.get() or {}).get(event_id)
    if span is None:
        return current_traceparent()
    carrier: dict[str, str] = {}
    PROPAGATOR.inject(carrier, context=trace.set_span_in_context(span))
    return carrier.get("traceparent")
