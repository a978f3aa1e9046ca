"""`POST /v1/events/batch`: up to 500 behaviour events in one request and one transaction, with a
result per item (accepted, duplicate, or invalid with its fields). A site or an email tool that
reports opens and page views in bulk costs one round trip per event instead of one request each."""

from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError

from services.capture.activity import ActivityIn
from services.capture.activity_batch import Item, accept_activities
from services.capture.api import ERRORS, IntakeKey, json_body, runtime
from services.capture.intake import body_hash
from services.capture.message_size import activity_too_large
from shared import metrics
from shared.http_errors import ApiError, field_errors
from shared.json_body import json_object

router = APIRouter()
MAX_EVENTS = 500


class EventBatch(BaseModel):
    events: list[dict[str, Any]] = Field(min_length=1, max_length=MAX_EVENTS)


def _item_error(index: int, fields: list[dict[str, str]]) -> dict[str, Any]:
    return {"index": index, "status": "invalid", "fields": fields}


@router.post("/v1/events/batch", responses=ERRORS, openapi_extra=json_body(EventBatch))
async def behaviour_events(
    request: Request, key: IntakeKey, idempotency_key: Annotated[str | None, Header(max_length=200)] = None
) -> JSONResponse:
    rt, settings = runtime(request)
    try:
        batch = EventBatch.model_validate(json_object(await request.body()))
    except ValidationError as exc:
        raise ApiError(422, "invalid_request", field_errors(exc.errors())) from exc
    results: list[dict[str, Any]] = [{} for _ in batch.events]
    valid: list[tuple[int, ActivityIn, dict[str, Any]]] = []
    for i, raw in enumerate(batch.events):
        try:
            event = ActivityIn.model_validate(raw)
        except ValidationError as exc:
            results[i] = _item_error(i, field_errors(exc.errors()))
            continue
        if missing := event.missing_lead():
            results[i] = _item_error(i, missing)
            continue
        if reserved := event.reserved_for(key, request.app.state.config.scoring.progress_events):
            results[i] = _item_error(i, reserved)
            continue
        if too_large := activity_too_large(event.to_activity(), settings.max_message_bytes):
            results[i] = _item_error(i, too_large)
            continue
        valid.append((i, event, raw))
    if valid:
        items = [Item(e.lead_id, e.email, e.to_activity(), e.event_id, body_hash(raw)) for _, e, raw in valid]
        answers = await accept_activities(rt.db, settings, f"events:{key.name}", items)
        for (i, _, _), accepted in zip(valid, answers, strict=True):
            if accepted is None:
                results[i] = _item_error(i, [{"field": "lead_id", "message": "no lead with this id"}])
            else:
                status = "duplicate" if accepted.replayed else "accepted"
                results[i] = {"index": i, **accepted.response, "status": status}
    counts = {s: sum(r["status"] == s for r in results) for s in ("accepted", "duplicate", "invalid")}
    metrics.INTAKE.labels("events_batch", "accepted").inc(counts["accepted"])
    metrics.INTAKE.labels("events_batch", "invalid").inc(counts["invalid"])
    if counts["accepted"]:
        request.app.state.relay.wake.set()
    return JSONResponse({**counts, "results": results}, status_code=200)
