"""An OpenTelemetry collector stand-in on 127.0.0.1: it takes OTLP/HTTP trace exports
(`POST /v1/traces`, protobuf `ExportTraceServiceRequest`, optionally gzip) as a real collector does,
and lists the spans it got on `GET /_standin/spans`.

    python -m standins.otlp --port 4318
"""

import argparse
import gzip
from typing import Any

import uvicorn
from fastapi import FastAPI, Request, Response
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

KINDS = {0: "unspecified", 1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}


def _attributes(values: Any) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for kv in values:
        which = kv.value.WhichOneof("value")
        found[kv.key] = getattr(kv.value, which) if which else None
    return found


def create_app() -> FastAPI:
    app = FastAPI(title="OTLP collector stand-in")
    spans: list[dict[str, Any]] = []

    @app.post("/v1/traces")
    async def export(request: Request) -> Response:
        body = await request.body()
        if request.headers.get("content-encoding") == "gzip":
            body = gzip.decompress(body)
        message = ExportTraceServiceRequest()
        message.ParseFromString(body)
        for resource_spans in message.resource_spans:
            service = _attributes(resource_spans.resource.attributes).get("service.name")
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    spans.append(
                        {
                            "service": service,
                            "name": span.name,
                            "kind": KINDS.get(span.kind, str(span.kind)),
                            "trace_id": span.trace_id.hex(),
                            "span_id": span.span_id.hex(),
                            "parent_span_id": span.parent_span_id.hex() or None,
                            "links": [link.trace_id.hex() for link in span.links],
                            "attributes": _attributes(span.attributes),
                        }
                    )
        reply = ExportTraceServiceResponse().SerializeToString()
        return Response(reply, media_type="application/x-protobuf")

    @app.get("/_standin/spans")
    async def list_spans() -> list[dict[str, Any]]:
        return spans

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description="OTLP/HTTP trace collector stand-in")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4318)
    args = parser.parse_args()
    uvicorn.run(create_app(), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
