"""insights' JSON API (zone: operator, `ops:read`): the three reports, as JSON or CSV, and a lead's
timeline."""

from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from services.insights import queries, report_service
from services.insights.queries import ReportFilters
from shared.http_errors import invalid
from shared.zones import Operator

router = APIRouter()
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Missing or unknown API key"},
    403: {"description": "The key lacks ops:read"},
    404: {"description": "Unknown lead"},
    422: {"description": "Invalid filter: {error, fields: [{field, message}]}"},
}


def csv_response(name: str, body: str) -> Response:
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


@router.get("/v1/reports/{name}", dependencies=[Operator("ops:read")], responses=ERRORS)
async def report(
    request: Request,
    name: report_service.ReportName,
    filters: Annotated[ReportFilters, Query()],
    format: Literal["json", "csv"] = "json",
) -> Response:
    """speed-to-lead, funnel or fairness, for the leads the filters select; `format=csv` downloads it."""
    body = await report_service.build(
        request.app.state.runtime.db, request.app.state.live.current.config, name, filters
    )
    if format == "csv":
        return csv_response(name, report_service.csv_of(name, body))
    return JSONResponse(body)


@router.get("/v1/leads/{lead_id}/timeline", dependencies=[Operator("ops:read")], responses=ERRORS)
async def timeline(request: Request, lead_id: UUID) -> JSONResponse:
    """Everything that happened to a lead, in one timeline: sources, enrichment, score reasons,
    routing traces, alerts per channel with the provider's status, SLA, reassignments and the claim."""
    async with request.app.state.runtime.db.session_scope() as session:
        page = await queries.lead_page(session, lead_id)
    if page is None:
        return invalid([{"field": "lead_id", "message": "insights has not seen this lead"}], "not_found", 404)
    return JSONResponse(jsonable(page))


def jsonable(value: Any) -> Any:
    """Rows from the database as JSON: timestamps in ISO 8601, ids as strings."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    return value
