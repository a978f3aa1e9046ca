"""`POST /v1/sources/<id>/preview` (operator zone, ops:read): how a sample vendor payload maps to a lead
with this source's field_map, before any real submission relies on it. Nothing is verified, stored or
published, and no vendor API is called: sources that only name a lead (Meta, HubSpot apps) are refused."""

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request

from services.capture.sources.base import BodyParser, Inbound, PayloadError
from services.capture.sources.registry import ADAPTERS
from services.capture.vendor_api import SourceId, configured
from shared.http_errors import ApiError
from shared.json_body import refuse_hostile
from shared.zones import Operator

router = APIRouter()
PREVIEW_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Missing or unknown API key"},
    403: {"description": "The key lacks the ops:read scope"},
    404: {"description": "No such source"},
    413: {"description": "Body over the size cap"},
    422: {"description": "The sample does not map to a lead: {error, fields: [{field, message}]}"},
}


@router.post("/v1/sources/{source_id}/preview", dependencies=[Operator("ops:read")], responses=PREVIEW_ERRORS)
async def preview(request: Request, source_id: str = SourceId) -> dict[str, Any]:
    """The lead (or behaviour event) the sample body would become; the body is the vendor's, as sent."""
    source = configured(request, source_id)
    adapter = ADAPTERS[source.type]
    if not isinstance(adapter, BodyParser):
        raise ApiError.field(
            422, "not_supported", "source", f"a {source.type} delivery names the lead; there is no body to map"
        )
    inbound = Inbound(
        method="POST",
        url=str(request.url),
        path=request.url.path,
        headers={k.lower(): v for k, v in request.headers.items()},
        query={},
        body=await request.body(),
        received_at=datetime.now(UTC),
    )
    try:
        parsed = adapter.parse(inbound, source.field_map)
    except PayloadError as exc:
        raise ApiError(422, "invalid_request", exc.fields) from exc
    except (ValueError, TypeError, AttributeError, KeyError, RecursionError) as exc:
        raise ApiError.field(422, "invalid_request", "(body)", f"not a usable {source.type} payload") from exc
    answer: dict[str, Any] = {"source": source.id, "type": source.type, "stored": False}
    if parsed.fields is not None:
        answer["fields"] = parsed.fields.model_dump(mode="json", exclude_none=True)
    if parsed.activity is not None:
        answer["activity"] = parsed.activity.model_dump(mode="json", exclude_none=True)
        answer["activity_email"] = parsed.activity_email
    refuse_hostile(answer)
    return answer
