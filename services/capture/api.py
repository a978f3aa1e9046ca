"""capture's trusted HTTP intake (API key with the `intake` scope). Answers 202 only after the lead is
committed to PostgreSQL. The lead's source and the dedupe namespace come from the key, never the body."""

from datetime import timedelta
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError

from services.capture.activity import ActivityIn
from services.capture.activity_batch import EventCommit, Item
from services.capture.config import CaptureSettings
from services.capture.csv_upload import import_rows, read_upload
from services.capture.intake import GenericLead, body_hash
from services.capture.lead_batch import LeadCommit, LeadItem
from services.capture.message_size import activity_too_large
from services.capture.outbox import OutboxRelay
from services.capture.service import Accepted
from shared import metrics
from shared.http_errors import ApiError, field_errors
from shared.json_body import json_object
from shared.service import Runtime
from shared.settings import ApiKey
from shared.zones import Operator

router = APIRouter()
IntakeKey = Annotated[ApiKey, Operator("intake")]
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Missing or unknown API key"},
    403: {"description": "The key lacks the intake scope"},
    413: {"description": "Body over the size cap"},
    422: {"description": "Invalid field: {error, fields: [{field, message}]}"},
    503: {"description": "Database unavailable; retry after Retry-After seconds"},
}

M = TypeVar("M", bound=BaseModel)


def json_body(model: type[BaseModel], *media: str) -> dict[str, Any]:
    """The OpenAPI request body for a route that reads its body itself (raw bytes for dedupe and
    signatures) but validates it as `model`."""
    schema = model.model_json_schema()
    kinds = media or ("application/json",)
    return {"requestBody": {"required": True, "content": {k: {"schema": schema} for k in kinds}}}


def runtime(request: Request) -> tuple[Runtime, CaptureSettings]:
    rt: Runtime = request.app.state.runtime
    assert isinstance(rt.settings, CaptureSettings)
    return rt, rt.settings


async def parse_body(request: Request, model: type[M], source: str) -> tuple[M, dict[str, Any]]:
    """The body validated as `model` (and the raw object, for dedupe), or a 422 naming the fields."""
    try:
        body = json_object(await request.body())
        return model.model_validate(body), body
    except ApiError:
        metrics.INTAKE.labels(source, "invalid").inc()
        raise
    except ValidationError as exc:
        metrics.INTAKE.labels(source, "invalid").inc()
        raise ApiError(422, "invalid_request", field_errors(exc.errors())) from exc


def answer_accepted(request: Request, source: str, accepted: Accepted) -> JSONResponse:
    """202 with the stored answer; a replay says so in a header and leaves the outbox relay asleep."""
    metrics.INTAKE.labels(source, "duplicate" if accepted.replayed else "accepted").inc()
    if not accepted.replayed:
        relay: OutboxRelay = request.app.state.relay
        relay.wake.set()
    headers = {"Idempotent-Replayed": "true"} if accepted.replayed else {}
    return JSONResponse(accepted.response, status_code=202, headers=headers)


@router.post(
    "/v1/webhooks/generic",
    status_code=202,
    responses=ERRORS,
    openapi_extra=json_body(GenericLead),
)
async def generic_webhook(
    request: Request, key: IntakeKey, idempotency_key: Annotated[str | None, Header(max_length=200)] = None
) -> JSONResponse:
    """A lead as JSON from your own backend. The lead's source is the key's name."""
    _, settings = runtime(request)
    lead, body = await parse_body(request, GenericLead, "generic")
    if missing := lead.missing_contact():
        metrics.INTAKE.labels("generic", "invalid").inc()
        raise ApiError(422, "invalid_request", missing)
    commit: LeadCommit = request.app.state.lead_commit
    item = LeadItem(
        source=key.name,
        namespace=f"api:{key.name}",
        idempotency_key=idempotency_key,
        body_hash=body_hash(body),
        fields=lead.to_fields(),
        window=timedelta(hours=settings.dedupe_window_hours),
    )
    accepted = await commit.accept("leads", item)
    return answer_accepted(request, "generic", accepted)


@router.post(
    "/v1/events",
    status_code=202,
    responses=ERRORS,
    openapi_extra=json_body(ActivityIn),
)
async def behaviour_event(
    request: Request, key: IntakeKey, idempotency_key: Annotated[str | None, Header(max_length=200)] = None
) -> JSONResponse:
    """A behaviour event (page view, download, email open, demo request, ...) for a lead known by id or
    email; an unknown email creates the lead. Published as lead.activity through the outbox. Concurrent
    requests share one transaction (group commit); each is answered after it commits."""
    event, body = await parse_body(request, ActivityIn, "events")
    if missing := event.missing_lead():
        metrics.INTAKE.labels("events", "invalid").inc()
        raise ApiError(422, "invalid_request", missing)
    if reserved := event.reserved_for(key, request.app.state.config.scoring.progress_events):
        raise ApiError(403, "forbidden", reserved)
    _, settings = runtime(request)
    if too_large := activity_too_large(event.to_activity(), settings.max_message_bytes):
        raise ApiError(422, "too_large", too_large)
    group: EventCommit = request.app.state.event_commit
    item = Item(event.lead_id, event.email, event.to_activity(), idempotency_key or event.event_id, body_hash(body))
    accepted = await group.accept(f"events:{key.name}", item)
    if accepted is None:
        metrics.INTAKE.labels("events", "invalid").inc()
        raise ApiError.field(422, "invalid_request", "lead_id", "no lead with this id")
    return answer_accepted(request, "events", accepted)


@router.post(
    "/v1/imports",
    responses=ERRORS,
    openapi_extra={"requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}}},
)
async def import_csv(request: Request, key: IntakeKey) -> JSONResponse:
    """A CSV of leads (a trade-show list): each valid row becomes a lead, each invalid one is reported
    with its row number and fields. The same file uploaded again creates nothing new. Read in chunks
    with byte and row caps; parsing yields to the event loop, so other requests are never held up.
    The leads' source is the key's name, as for the generic webhook: give each list its own key."""
    if "source" in request.query_params:
        raise ApiError.field(
            422, "invalid_request", "source", "the source is the API key's name; use a key named for this list"
        )
    rt, settings = runtime(request)
    upload = await read_upload(request, settings.max_import_bytes)
    result = await import_rows(rt.db, settings, upload, source=key.name, namespace=f"import:{key.name}")
    if result.accepted:
        request.app.state.relay.wake.set()
    metrics.INTAKE.labels("import", "accepted").inc(result.accepted)
    return JSONResponse(result.answer())
