"""`/v1/webhooks/<source>` for the sources in the config: verify, parse, accept. Answers follow what
senders retry on: 2xx for accepted and for duplicates, 401 for a bad/stale signature (nothing stored),
422 for a signed payload we cannot use, 503 only when the database is down. A configured source is
never answered 404 or 410 (Typeform disables a webhook on those)."""

import hashlib
from datetime import UTC, datetime, timedelta

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from services.capture.api import answer_accepted
from services.capture.config import CaptureSettings
from services.capture.service import Accepted, accept_activity, accept_lead
from services.capture.sources.base import Inbound, Parsed, PayloadError, SignatureError
from services.capture.sources.meta import GraphUnavailable, MetaLeadAds, handshake
from services.capture.sources.registry import ADAPTERS
from shared import metrics
from shared.business_config import BusinessConfig
from shared.http_errors import invalid
from shared.service import Runtime

router = APIRouter()


def unknown_source(source_id: str) -> JSONResponse:
    return invalid([{"field": "source", "message": f"no source {source_id!r} is configured"}], "unknown_source", 404)


@router.get("/v1/webhooks/{source_id}")
async def verification_handshake(request: Request, source_id: str) -> Response:
    """Meta's subscription check: echo hub.challenge when hub.verify_token is ours."""
    config: BusinessConfig = request.app.state.config
    source = config.source(source_id)
    if source is None:
        return invalid(
            [{"field": "source", "message": f"no source {source_id!r} is configured"}], "unknown_source", 404
        )
    if source.verify_token is None:
        return invalid([{"field": "source", "message": "this source has no GET handshake"}], "not_supported", 405)
    challenge = handshake(dict(request.query_params), source.verify_token.get_secret_value())
    if challenge is None:
        return invalid([{"field": "hub.verify_token", "message": "wrong or missing verify token"}], "forbidden", 403)
    return PlainTextResponse(challenge)


@router.post("/v1/webhooks/{source_id}", status_code=202)
async def vendor_webhook(request: Request, source_id: str) -> JSONResponse:
    rt: Runtime = request.app.state.runtime
    config: BusinessConfig = request.app.state.config
    settings = rt.settings
    assert isinstance(settings, CaptureSettings)
    source = config.source(source_id)
    if source is None:
        return invalid(
            [{"field": "source", "message": f"no source {source_id!r} is configured"}], "unknown_source", 404
        )
    inbound = Inbound(
        method=request.method,
        url=str(request.url),
        path=request.url.path,
        headers={k.lower(): v for k, v in request.headers.items()},
        query=dict(request.query_params),
        body=await request.body(),
        received_at=datetime.now(UTC),
    )
    adapter = ADAPTERS[source.type]
    try:
        adapter.verify(inbound, source.secret.get_secret_value())
    except SignatureError as exc:
        metrics.INTAKE.labels(source_id, "bad_signature").inc()
        return invalid([{"field": exc.header, "message": str(exc)}], "invalid_signature", 401)
    try:
        if isinstance(adapter, MetaLeadAds):
            assert source.access_token is not None
            token = source.access_token.get_secret_value()
            batch = await adapter.fetch(inbound, request.app.state.http, source.graph_url, token)
        else:
            batch = [adapter.parse(inbound)]
    except PayloadError as exc:
        metrics.INTAKE.labels(source_id, "invalid").inc()
        return invalid(exc.fields)
    except GraphUnavailable as exc:
        metrics.INTAKE.labels(source_id, "upstream_unavailable").inc()
        return invalid([{"field": "leadgen_id", "message": str(exc)}], "upstream_unavailable", 502)
    answers = [await _accept(request, rt, settings, source_id, parsed, inbound.body) for parsed in batch]
    if len(answers) == 1:
        return answers[0]
    return JSONResponse({"leads": [orjson.loads(a.body) for a in answers]}, status_code=202)


async def _accept(
    request: Request, rt: Runtime, settings: CaptureSettings, source_id: str, parsed: Parsed, body: bytes
) -> JSONResponse:
    body_hash = hashlib.sha256(body + parsed.delivery_id.encode()).hexdigest()
    accepted: Accepted
    if parsed.fields is not None:
        accepted = await accept_lead(
            rt.db,
            settings,
            source=source_id,
            idempotency_key=parsed.delivery_id,
            body_hash=body_hash,
            fields=parsed.fields,
            window=timedelta(hours=settings.dedupe_window_hours),
        )
    elif parsed.activity is not None:
        accepted = await accept_activity(
            rt.db,
            settings,
            lead_id=None,
            email=parsed.activity_email,
            activity=parsed.activity,
            idempotency_key=f"{source_id}:{parsed.delivery_id}",
            body_hash=body_hash,
        )
    else:
        metrics.INTAKE.labels(source_id, "ignored").inc()
        return JSONResponse({"status": "ignored", "reason": "event type carries no lead"}, status_code=200)
    return answer_accepted(request, source_id, accepted)
