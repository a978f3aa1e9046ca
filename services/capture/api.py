"""capture's HTTP intake. Answers 202 only after the lead is committed to PostgreSQL."""

import hashlib
import hmac
from datetime import timedelta
from typing import Annotated, Any, TypeVar

import orjson
from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError

from services.capture.activity import ActivityIn
from services.capture.config import CaptureSettings
from services.capture.csv_import import parse_csv
from services.capture.intake import GenericLead, body_hash
from services.capture.outbox import OutboxRelay
from services.capture.service import Accepted, UnknownLead, accept_activity, accept_lead
from shared import metrics
from shared.http_errors import from_validation_error, invalid
from shared.service import Runtime

router = APIRouter()


async def json_object(request: Request) -> dict[str, Any] | JSONResponse:
    """The request body as a JSON object, or the 422 answer saying why it is not one."""
    try:
        body = orjson.loads(await request.body())
    except orjson.JSONDecodeError as exc:
        return invalid([{"field": "(body)", "message": f"not valid JSON: {exc}"}])
    if not isinstance(body, dict):
        return invalid([{"field": "(body)", "message": "expected a JSON object"}])
    return body


M = TypeVar("M", bound=BaseModel)


async def parse_body(request: Request, model: type[M], source: str) -> tuple[M, dict[str, Any]] | JSONResponse:
    """The body validated as `model` (and the raw object, for dedupe), or the 422 naming the fields."""
    body = await json_object(request)
    if isinstance(body, JSONResponse):
        metrics.INTAKE.labels(source, "invalid").inc()
        return body
    try:
        return model.model_validate(body), body
    except ValidationError as exc:
        metrics.INTAKE.labels(source, "invalid").inc()
        return from_validation_error(exc)


def answer_accepted(request: Request, source: str, accepted: Accepted) -> JSONResponse:
    """202 with the stored answer; a replay says so in a header and leaves the outbox relay asleep."""
    metrics.INTAKE.labels(source, "duplicate" if accepted.replayed else "accepted").inc()
    if not accepted.replayed:
        relay: OutboxRelay = request.app.state.relay
        relay.wake.set()
    headers = {"Idempotent-Replayed": "true"} if accepted.replayed else {}
    return JSONResponse(accepted.response, status_code=202, headers=headers)


def api_key_ok(settings: CaptureSettings, given: str | None) -> bool:
    if not given:
        return False
    return any(hmac.compare_digest(given.encode(), k.get_secret_value().encode()) for k in settings.api_keys)


@router.post("/v1/webhooks/generic", status_code=202)
async def generic_webhook(
    request: Request, idempotency_key: Annotated[str | None, Header(max_length=200)] = None
) -> JSONResponse:
    rt: Runtime = request.app.state.runtime
    settings = rt.settings
    assert isinstance(settings, CaptureSettings)
    parsed = await parse_body(request, GenericLead, "generic")
    if isinstance(parsed, JSONResponse):
        return parsed
    lead, body = parsed
    if missing := lead.missing_contact():
        metrics.INTAKE.labels("generic", "invalid").inc()
        return invalid(missing)
    accepted = await accept_lead(
        rt.db,
        settings,
        source=lead.source or "generic",
        idempotency_key=idempotency_key,
        body_hash=body_hash(body),
        fields=lead.to_fields(),
        window=timedelta(hours=settings.dedupe_window_hours),
    )
    return answer_accepted(request, "generic", accepted)


@router.post("/v1/events", status_code=202)
async def behaviour_event(
    request: Request,
    x_api_key: Annotated[str | None, Header()] = None,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> JSONResponse:
    """A behaviour event (page view, download, email open, demo request, ...) for a lead known by id or
    email; an unknown email creates the lead. Published as lead.activity through the outbox."""
    rt: Runtime = request.app.state.runtime
    settings = rt.settings
    assert isinstance(settings, CaptureSettings)
    if not api_key_ok(settings, x_api_key):
        metrics.INTAKE.labels("events", "unauthorized").inc()
        return invalid([{"field": "X-API-Key", "message": "missing or unknown API key"}], "unauthorized", 401)
    parsed_event = await parse_body(request, ActivityIn, "events")
    if isinstance(parsed_event, JSONResponse):
        return parsed_event
    event, body = parsed_event
    if missing := event.missing_lead():
        metrics.INTAKE.labels("events", "invalid").inc()
        return invalid(missing)
    try:
        accepted = await accept_activity(
            rt.db,
            settings,
            lead_id=event.lead_id,
            email=event.email,
            activity=event.to_activity(),
            idempotency_key=idempotency_key or event.event_id,
            body_hash=body_hash(body),
        )
    except UnknownLead:
        metrics.INTAKE.labels("events", "invalid").inc()
        return invalid([{"field": "lead_id", "message": "no lead with this id"}])
    return answer_accepted(request, "events", accepted)


MAX_IMPORT_BYTES = 5 * 1024 * 1024


@router.post("/v1/imports")
async def import_csv(
    request: Request,
    x_api_key: Annotated[str | None, Header()] = None,
    source: str = "import",
) -> JSONResponse:
    """A CSV of leads (a trade-show list): each valid row becomes a lead, each invalid one is reported
    with its row number and fields. The same file uploaded again creates nothing new."""
    rt: Runtime = request.app.state.runtime
    settings = rt.settings
    assert isinstance(settings, CaptureSettings)
    if not api_key_ok(settings, x_api_key):
        return invalid([{"field": "X-API-Key", "message": "missing or unknown API key"}], "unauthorized", 401)
    raw = await csv_bytes(request)
    if isinstance(raw, JSONResponse):
        return raw
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return invalid([{"field": "file", "message": "the file is not UTF-8 text"}])
    file_hash = hashlib.sha256(raw).hexdigest()
    rows = parse_csv(text)
    if not rows:
        return invalid([{"field": "file", "message": "no rows below the header"}])
    accepted = duplicates = 0
    for row in rows:
        if row.fields is None:
            continue
        result = await accept_lead(
            rt.db,
            settings,
            source=source,
            idempotency_key=f"import:{file_hash}:{row.number}",
            body_hash=hashlib.sha256(f"{file_hash}:{row.number}".encode()).hexdigest(),
            fields=row.fields,
            window=timedelta(hours=settings.dedupe_window_hours),
        )
        duplicates += result.replayed
        accepted += not result.replayed
    if accepted:
        request.app.state.relay.wake.set()
    metrics.INTAKE.labels("import", "accepted").inc(accepted)
    errors = [{"row": r.number, "fields": r.errors} for r in rows if r.errors]
    return JSONResponse(
        {
            "import_id": file_hash[:16],
            "rows": len(rows),
            "accepted": accepted,
            "duplicates": duplicates,
            "rejected": len(errors),
            "errors": errors,
        }
    )


async def csv_bytes(request: Request) -> bytes | JSONResponse:
    """The CSV from a multipart upload (field `file`) or from a text/csv body, at most 5 MiB."""
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            return invalid([{"field": "file", "message": "upload the CSV as the form field 'file'"}])
        data = await upload.read(MAX_IMPORT_BYTES + 1)
    else:
        data = await request.body()
    if len(data) > MAX_IMPORT_BYTES:
        return invalid([{"field": "file", "message": "larger than 5 MiB"}], "too_large", 413)
    return data
