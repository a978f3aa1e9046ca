"""Span attributes without secrets (see shared/redact.py), for the SDK's pipeline when tracing is on.

The instrumentations set URL attributes both when a span starts and later (the ASGI middleware adds
`http.url` and `http.target` after the start), so the spans are redacted on their way out: a claim,
digest or record link's token leaves a server span's path (and the query goes), and a client span
keeps only the scheme and host of the URL it called (a subscriber's webhook URL can hold credentials)."""

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.trace import SpanKind

from shared.redact import redacted_path, redacted_url

SERVER_URL_KEYS = ("http.target", "url.path", "http.url", "url.full")
CLIENT_URL_KEYS = ("http.url", "url.full")


def redacted_attributes(kind: SpanKind, attributes: dict[str, Any]) -> dict[str, Any]:
    client = kind == SpanKind.CLIENT
    out = dict(attributes)
    for key in CLIENT_URL_KEYS if client else SERVER_URL_KEYS:
        value = out.get(key)
        if isinstance(value, str):
            out[key] = redacted_url(value) if client else _redacted_target(value)
    if not client and "url.query" in out:
        out["url.query"] = ""
    return out


def _redacted_target(value: str) -> str:
    """A server span's path or URL with the token replaced and without the query."""
    parts = urlsplit(value)
    path = redacted_path(parts.path)
    return f"{parts.scheme}://{parts.netloc}{path}" if parts.scheme else path


def redacted(span: ReadableSpan) -> ReadableSpan:
    return ReadableSpan(
        name=span.name,
        context=span.context,
        parent=span.parent,
        resource=span.resource,
        attributes=redacted_attributes(span.kind, dict(span.attributes or {})),
        events=span.events,
        links=span.links,
        kind=span.kind,
        status=span.status,
        start_time=span.start_time,
        end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope,
    )


class RedactingExporter(SpanExporter):
    def __init__(self, inner: SpanExporter) -> None:
        self._inner = inner

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return self._inner.export([redacted(s) for s in spans])

    def shutdown(self) -> None:
        self._inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self._inner.force_flush(timeout_millis)
