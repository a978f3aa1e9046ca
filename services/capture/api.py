"""capture's HTTP intake. Answers 202 only after the lead is committed to PostgreSQL."""

from datetime import timedelta
from typing import Annotated

import orjson
from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from services.capture.config import CaptureSettings
from services.capture.intake import GenericLead, body_hash
from services.capture.outbox import OutboxRelay
from services.capture.service import accept_lead
from shared import metrics
from shared.http_errors import from_validation_error, invalid
from shared.service import Runtime

router = APIRouter()


@router.post("/v1/webhooks/generic", status_code=202)
async def generic_webhook(
    request: Request, idempotency_key: Annotated[str | None, Header(max_length=200)] = None
) -> JSONResponse:
    rt: Runtime = request.app.state.runtime
    relay: OutboxRelay = request.app.state.relay
    settings = rt.settings
    assert isinstance(settings, CaptureSettings)
    try:
        body = orjson.loads(await request.body())
    except orjson.JSONDecodeError as exc:
        metrics.INTAKE.labels("generic", "invalid").inc()
        return invalid([{"field": "(body)", "message": f"not valid JSON: {exc}"}])
    if not isinstance(body, dict):
        metrics.INTAKE.labels("generic", "invalid").inc()
        return invalid([{"field": "(body)", "message": "expected a JSON object"}])
    try:
        lead = GenericLead.model_validate(body)
    except ValidationError as exc:
        metrics.INTAKE.labels("generic", "invalid").inc()
        return from_validation_error(exc)
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
    metrics.INTAKE.labels("generic", "duplicate" if accepted.replayed else "accepted").inc()
    if not accepted.replayed:
        relay.wake.set()
    headers = {"Idempotent-Replayed": "true"} if accepted.replayed else {}
    return JSONResponse(accepted.response, status_code=202, headers=headers)
