"""A rep's own desk (scope `claim`; a rep's own key acts only for its rep, notify's key for the rep
the Slack user resolves to): take oneself off the queue and back, and see one's availability and
open leads with their SLA clocks. What `/leadrelay away|back|status|mine` and the App Home show.

    POST /v1/reps/{rep_id}/away  {"until": <ISO time>?, "via": "slack"}   paused by self (until ...)
    POST /v1/reps/{rep_id}/back  {"via": "slack"}
    GET  /v1/reps/{rep_id}/desk                                           available or why not; open leads
"""

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from services.route.availability import skip_reason
from services.route.handler import RouteDeps
from services.route.store.assignments import AssignmentStore
from services.route.store.audit import AuditStore
from services.route.store.pools import PoolStore
from shared.http_errors import ApiError, invalid
from shared.settings import ApiKey
from shared.time_bounds import BoundedDatetime
from shared.zones import Operator

router = APIRouter(tags=["desk"])
RepId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
OPEN_SHOWN = 50


class Away(BaseModel):
    model_config = ConfigDict(extra="forbid")
    until: BoundedDatetime | None = Field(default=None, description="Back by itself then; none: until `back`.")
    via: str = Field(default="api", pattern=r"^[a-z_]{1,40}$")


class Back(BaseModel):
    model_config = ConfigDict(extra="forbid")
    via: str = Field(default="api", pattern=r"^[a-z_]{1,40}$")


def _own(request: Request, rep_id: str, key: ApiKey) -> RouteDeps | JSONResponse:
    if key.rep is not None and key.rep != rep_id:
        raise ApiError.field(403, "forbidden", "rep_id", "this key acts only for its own rep")
    deps: RouteDeps = request.app.state.route_deps
    if rep_id not in deps.config.rep_ids:
        return invalid([{"field": "rep_id", "message": f"no rep {rep_id!r}"}], error="not_found", status=404)
    return deps


def _json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        k: (v.isoformat() if isinstance(v, datetime) else str(v) if k.endswith("_id") else v) for k, v in row.items()
    }


@router.post("/v1/reps/{rep_id}/away", response_model=None)
async def away(
    request: Request, rep_id: RepId, body: Away, key: Annotated[ApiKey, Operator("claim")]
) -> dict[str, Any] | JSONResponse:
    deps = _own(request, rep_id, key)
    if isinstance(deps, JSONResponse):
        return deps
    if body.until is not None and body.until <= deps.clock():
        return invalid([{"field": "until", "message": "must be in the future"}])
    async with deps.db.session_scope() as session:
        await PoolStore(session).set_paused(rep_id, True, by="self", until=body.until)
        detail = {"until": body.until.isoformat() if body.until else None}
        await AuditStore(session).record(f"{rep_id} (self, via {body.via})", "rep paused", f"rep {rep_id}", detail)
    until = body.until.astimezone(UTC).isoformat() if body.until else None
    return {"rep_id": rep_id, "paused": True, "by": "self", "until": until}


@router.post("/v1/reps/{rep_id}/back", response_model=None)
async def back(
    request: Request, rep_id: RepId, body: Back, key: Annotated[ApiKey, Operator("claim")]
) -> dict[str, Any] | JSONResponse:
    deps = _own(request, rep_id, key)
    if isinstance(deps, JSONResponse):
        return deps
    async with deps.db.session_scope() as session:
        await PoolStore(session).set_paused(rep_id, False)
        await AuditStore(session).record(f"{rep_id} (self, via {body.via})", "rep resumed", f"rep {rep_id}")
    return {"rep_id": rep_id, "paused": False}


@router.get("/v1/reps/{rep_id}/desk", response_model=None)
async def desk(
    request: Request, rep_id: RepId, key: Annotated[ApiKey, Operator("claim")]
) -> dict[str, Any] | JSONResponse:
    deps = _own(request, rep_id, key)
    if isinstance(deps, JSONResponse):
        return deps
    config, now = deps.config, deps.clock()
    rep = config.rep(rep_id)
    async with deps.db.session_scope() as session:
        pools = [p.id for p in config.pools if rep_id in p.rep_ids]
        snap = await PoolStore(session).snapshot(config, pools, now, [], lock=False, extra_reps=[rep_id])
        open_leads = await AssignmentStore(session).open_of(rep_id, OPEN_SHOWN)
    load = snap.load(rep_id)
    why = skip_reason(rep, load, now, False, config.holidays_of(rep)) if rep.active else "inactive"
    return {
        "rep_id": rep_id,
        "name": rep.name,
        "available": why is None,
        "why_not": why,
        "pools": pools,
        "open": [_json(row) for row in open_leads],
        "at": now.isoformat(),
    }
