"""Spans keep no secrets: a claim link's token leaves the server span's URL attributes, and a client
span to a subscriber's webhook keeps only its scheme and host."""

from fastapi import FastAPI
from fastapi.testclient import TestClient
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from shared.redact import redacted_url
from shared.trace_redaction import RedactingExporter

TOKEN = "eyJwIjoiY2xhaW0ifQ.c2lnbmF0dXJl"


def provider() -> tuple[TracerProvider, InMemorySpanExporter]:
    exported = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(RedactingExporter(exported)))
    return tracer_provider, exported


def test_a_claim_token_never_reaches_a_server_span() -> None:
    tracer_provider, exported = provider()
    app = FastAPI()

    @app.get("/v1/claims/{token}")
    async def claim_page(token: str) -> dict[str, str]:
        return {"ok": "yes"}

    FastAPIInstrumentor.instrument_app(app, tracer_provider=tracer_provider)
    assert TestClient(app).get(f"/v1/claims/{TOKEN}?utm=x").status_code == 200
    spans = exported.get_finished_spans()
    assert spans
    dumped = " ".join(f"{s.name} {dict(s.attributes or {})}" for s in spans)
    assert TOKEN not in dumped, dumped
    assert "/v1/claims/{token}" in dumped


def test_a_client_span_keeps_only_scheme_and_host() -> None:
    tracer_provider, exported = provider()
    url = "https://zap:s3cret@hooks.example.com/hooks/catch/123/abcsecret/?token=t"
    with tracer_provider.get_tracer("t").start_as_current_span(
        "POST", kind=SpanKind.CLIENT, attributes={"url.full": url}
    ):
        pass
    [span] = exported.get_finished_spans()
    assert (span.attributes or {})["url.full"] == "https://hooks.example.com/…"
    assert redacted_url("http://[bad") == "(unparsable URL)"
