"""`/v1/webhooks/<source>` for the sources in the config: verify, parse, accept. Answers follow what
senders retry on: 2xx for accepted and for duplicates, 401 for a bad/stale signature (nothing stored),
422 for a signed payload we cannot use, 503 only when the database is down. A configured source is
never answered 404 or 410 (Typeform disables a webhook on those)."""

import hashlib
import logging
from datetime import UTC, datetime, timedelta

import orjson
from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import ValidationError

from services.capture.api import ERRORS, answer_accepted, runtime
from services.capture.config import CaptureSettings
from services.capture.lead_batch import LeadCommit, LeadItem
from services.capture.service import Accepted, accept_activity
from services.capture.sources.base import (
    Inbound,
    Parsed,
    PayloadError,
    Reader,
    SignatureError,
    UpstreamUnavailable,
    verify_url_token,
)
from services.capture.sources.meta import handshake
from services.capture.sources.registry import ADAPTERS
from shared import metrics
from shared.business.loader import BusinessConfig
from shared.business.sources import Source
from shared.http_errors import ApiError
from shared.json_body import refuse_hostile
from shared.public_url import public_request_url
from shared.service import Runtime
from shared.zones import Vendor

log = logging.getLogger(__name__)
router = APIRouter()
SourceId = Path(pattern=r"^[a-z0-9][a-z0-9_-]{1,39}$")


def configured(request: Request, source_id: str) -> Source:
    config: BusinessConfig = request.app.state.config
    source = config.source(source_id)
    if source is None:
        raise ApiError.field(404, "unknown_source", "source", f"no source {source_id!r} is configured")
    return source


@router.get("/v1/webhooks/{source_id}", dependencies=[Vendor], responses=ERRORS)
async def verification_handshake(request: Request, source_id: str = SourceId) -> Response:
    """Meta's subscription check: echo hub.challenge when hub.verify_token is ours. Changes nothing."""
    source = configured(request, source_id)
    if source.verify_token is None:
        raise ApiError.field(405, "not_supported", "source", "this source has no GET handshake")
    challenge = handshake(dict(request.query_params), source.verify_token.get_secret_value())
    if challenge is None:
        raise ApiError.field(403, "forbidden", "hub.verify_token", "wrong or missing verify token")
    return PlainTextResponse(challenge)


def _parsed_safely(parsed: list[Parsed]) -> list[Parsed]:
    """Refuse a signed payload whose lead holds NUL characters or absurd nesting (422 naming the field)."""
    for p in parsed:
        if p.fields is not None:
            refuse_hostile(p.fields.model_dump(mode="json"))
        if p.activity is not None:
            refuse_hostile(p.activity.model_dump(mode="json"))
            refuse_hostile({"email": p.activity_email})
    return parsed


async def _parse(request: Request, source: Source, inbound: Inbound) -> list[Parsed]:
    adapter = ADAPTERS[source.type]
    try:
        if source.auth == "url_token":
            verify_url_token(inbound, source.secret.get_secret_value())
        else:
            adapter.verify(inbound, source.secret.get_secret_value())
    except SignatureError as exc:
        metrics.INTAKE.labels(source.id, "bad_signature").inc()
        raise ApiError.field(401, "invalid_signature", exc.header, str(exc)) from exc
    try:
        return _parsed_safely(await adapter.read(inbound, Reader(source, request.app.state.http)))
    except PayloadError as exc:
        metrics.INTAKE.labels(source.id, "invalid").inc()
        raise ApiError(422, "invalid_request", exc.fields) from exc
    except UpstreamUnavailable as exc:
        metrics.INTAKE.labels(source.id, "upstream_unavailable").inc()
        raise ApiError.field(502, "upstream_unavailable", "(source)", str(exc)) from exc
    except (ValidationError, ValueError, TypeError, AttributeError, KeyError, RecursionError) as exc:
        metrics.INTAKE.labels(source.id, "invalid").inc()
        log.info("unusable %s payload: %s", source.type, type(exc).__name__)
        raise ApiError.field(422, "invalid_request", "(body)", f"not a usable {source.type} payload") from exc


@router.post("/v1/webhooks/{source_id}", status_code=202, dependencies=[Vendor], responses=ERRORS)
async def vendor_webhook(request: Request, source_id: str = SourceId) -> JSONResponse:
    """A vendor's delivery, verified on the raw body with the source's secret before it is parsed."""
    rt, settings = runtime(request)
    source = configured(request, source_id)
    inbound = Inbound(
        method=request.method,
        url=public_request_url(request, settings.public_url),
        path=request.url.path,
        headers={k.lower(): v for k, v in request.headers.items()},
        query=dict(request.query_params),
        body=await request.body(),
        received_at=datetime.now(UTC),
    )
    batch = await _parse(request, source, inbound)
    answers = [await _accept(request, rt, settings, source, parsed, inbound.body) for parsed in batch]
    if len(answers) == 1:
        return answers[0]
    return JSONResponse({"leads": [orjson.loads(a.body) for a in answers]}, status_code=202)


async def _accept(
    request: Request, rt: Runtime, settings: CaptureSettings, source: Source, parsed: Parsed, body: bytes
) -> JSONResponse:
    source_id = source.id
    body_hash = hashlib.sha256(body + parsed.delivery_id.encode()).hexdigest()
    accepted: Accepted
    if parsed.fields is not None:
        commit: LeadCommit = request.app.state.lead_commit
        item = LeadItem(
            source=source_id,
            namespace=source_id,
            idempotency_key=parsed.delivery_id,
            body_hash=body_hash,
            fields=parsed.fields,
            window=timedelta(hours=settings.dedupe_window_hours),
            trust="public" if source.visitor_typed else "trusted",
            reveal_lead=True,
        )
        accepted = await commit.accept("leads", item)
    elif parsed.activity is not None:
        accepted = await accept_activity(
            rt.db,
            settings,
            namespace="events",
            lead_id=None,
            email=parsed.activity_email,
            activity=parsed.activity,
            idempotency_key=f"{source_id}:{parsed.delivery_id}",
            body_hash=body_hash,
        )
    else:
        metrics.INTAKE.labels(source_id, "ignored").inc()
        reason = str(parsed.extra.get("ignored", "event type carries no lead"))
        return JSONResponse({"status": "ignored", "reason": reason}, status_code=200)
    return answer_accepted(request, source_id, accepted)
