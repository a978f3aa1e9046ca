"""OpenTelemetry tracing: one lead's journey is one trace, from capture's HTTP intake through every
stage to notify's Slack, Twilio or SMTP call. The W3C `traceparent` travels in each Kafka message's
headers (and in capture's outbox row and notify's delivery row, which outlive the request that
wrote them).

Off by default: with no `LEADRELAY_OTLP_ENDPOINT` the API's no-op tracer is used, which records
nothing and costs next to nothing but still forwards the incoming trace context, so a collector
added to one service later sees whole traces."""

import logging
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Link, Span, SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

log = logging.getLogger(__name__)
PROPAGATOR = TraceContextTextMapPropagator()
tracer = trace.get_tracer("leadrelay")

_event_spans: ContextVar[dict[UUID, "MessageSpan"] | None] = ContextVar("event_spans", default=None)
_forward: ContextVar[str | None] = ContextVar("forward_traceparent", default=None)
_enabled = False


def setup(service: str, otlp_endpoint: str | None) -> bool:
    """Install the SDK with an OTLP/HTTP exporter and the maintained instrumentations (FastAPI is
    instrumented per app, see `instrument_app`) when an endpoint is configured; True if so."""
    global _enabled
    if not otlp_endpoint:
        return False
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    from shared.trace_redaction import RedactingExporter

    provider = TracerProvider(resource=Resource.create({"service.name": f"leadrelay-{service}"}))
    provider.add_span_processor(BatchSpanProcessor(RedactingExporter(OTLPSpanExporter(endpoint=otlp_endpoint))))
    trace.set_tracer_provider(provider)
    HTTPXClientInstrumentor().instrument()
    AsyncPGInstrumentor().instrument()  # type: ignore[no-untyped-call]
    _enabled = True
    log.info("tracing to %s", otlp_endpoint)
    return True


def traced(transport: Any) -> Any:
    """An httpx transport with client spans when tracing is on (the global instrumentation covers
    httpx's own transports only); the transport itself when it is off."""
    if not _enabled:
        return transport
    from opentelemetry.instrumentation.httpx import AsyncOpenTelemetryTransport

    return AsyncOpenTelemetryTransport(transport)


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
    """The `traceparent` to send on: the current span's; with tracing off, the one of the message in
    hand, forwarded unchanged (no parsing, no spans: next to free)."""
    if not _enabled:
        return _forward.get()
    carrier: dict[str, str] = {}
    PROPAGATOR.inject(carrier)
    return carrier.get("traceparent")


class MessageSpan(Protocol):
    """The trace handle of one input message."""

    @property
    def traceparent(self) -> str | None: ...

    def activate(self) -> AbstractContextManager[object]:
        """Current while the message's outputs are sent (they carry its trace context); ends it."""
        ...

    def end(self) -> None: ...


@dataclass(frozen=True)
class _Forwarded:
    traceparent: str | None

    @contextmanager
    def activate(self) -> Iterator[None]:
        token = _forward.set(self.traceparent)
        try:
            yield
        finally:
            _forward.reset(token)

    def end(self) -> None:
        pass


@dataclass(frozen=True)
class _Recorded:
    span: Span

    @property
    def traceparent(self) -> str | None:
        carrier: dict[str, str] = {}
        PROPAGATOR.inject(carrier, context=trace.set_span_in_context(self.span))
        return carrier.get("traceparent")

    def activate(self) -> AbstractContextManager[object]:
        return trace.use_span(self.span, end_on_exit=True)

    def end(self) -> None:
        self.span.end()


def consumer_span(stage: str, topic: str, headers: Sequence[tuple[str, bytes]] | None) -> MessageSpan:
    """A span for one input message, child of the span that produced it (started, not current)."""
    if not _enabled:
        raw = next((v for k, v in headers or () if k == "traceparent"), None)
        return _Forwarded(raw.decode("latin-1") if raw is not None else None)
    return _Recorded(
        tracer.start_span(
            f"{stage} process",
            context=extract(headers),
            kind=SpanKind.CONSUMER,
            attributes={"messaging.system": "kafka", "messaging.destination.name": topic},
        )
    )


def batch_span(stage: str, spans: Sequence[MessageSpan]) -> AbstractContextManager[object]:
    """The span a batch's shared work (one transaction for all of it) runs in, linked to each
    message's span."""
    if not _enabled:
        return nullcontext()
    links = [Link(s.span.get_span_context()) for s in spans if isinstance(s, _Recorded)]
    attributes = {"messaging.batch.message_count": len(spans)}
    return tracer.start_as_current_span(f"{stage} batch", links=links, attributes=attributes)


@contextmanager
def event_spans(spans: dict[UUID, MessageSpan]) -> Iterator[None]:
    """Lets a handler find the span of one input event (`traceparent_of`) while a batch is handled."""
    token = _event_spans.set(spans)
    try:
        yield
    finally:
        _event_spans.reset(token)


def traceparent_of(event_id: UUID) -> str | None:
    """The `traceparent` of the span handling this input event (for work it hands to later)."""
    span = (_event_spans.get() or {}).get(event_id)
    return span.traceparent if span is not None else current_traceparent()


def client_span(name: str, traceparent: str | None, attributes: dict[str, Any]) -> AbstractContextManager[object]:
    """A current span for a call out (a Slack post, an SMS) in the trace of `traceparent`."""
    if not _enabled:
        return nullcontext()
    return tracer.start_as_current_span(
        name, context=from_traceparent(traceparent), kind=SpanKind.CLIENT, attributes=attributes
    )
