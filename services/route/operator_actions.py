"""Operators' actions on routing state, each recorded in route's audit log with who did it:

    GET  /v1/pools                        every pool, its members and whether it is paused   ops:read
    POST /v1/pools/{pool_id}/pause        the pool takes no leads (overflow, else held)     ops:write
    POST /v1/pools/{pool_id}/resume                                                          ops:write
    POST /v1/leads/{lead_id}/reassign {"rep_id"?, "reason"}  to that rep, or back through   ops:write
                                          the pool to the next who has not had it
    GET  /v1/audit?limit=                 pauses, resumes and reassignments, newest first    ops:read

The actor is the API key's name, or "console for <user>" when the console names who it acts for."""

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from services.route.handler import RouteDeps
from services.route.reassign import reassign_in
from services.route.store.audit import AuditStore
from services.route.store.pools import PoolStore
from shared.http_errors import invalid
from shared.settings import ApiKey
from shared.zones import Operator

router = APIRouter(tags=["operator"])
PoolId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]


class Acting(BaseModel):
    model_config = ConfigDict(extra="forbid")
    acting_for: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")


def actor(key: ApiKey, acting: Acting | None) -> str:
    return f"{key.name} for {acting.acting_for}" if acting is not None and acting.acting_for else key.name


def _deps(request: Request) -> RouteDeps:
    deps: RouteDeps = request.app.state.route_deps
    return deps


def _when(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


@router.get("/v1/pools", dependencies=[Operator("ops:read")])
async def pools(request: Request) -> dict[str, Any]:
    deps = _deps(request)
    async with deps.db.session_scope() as session:
        pauses = await PoolStore(session).pool_pauses()
    return {
        "pools": [
            {
                "id": p.id,
                "strategy": p.strategy,
                "members": p.rep_ids,
                "manager": p.manager,
                **{k: _when(v) for k, v in pauses.get(p.id, {"paused": False}).items()},
            }
            for p in deps.config.pools
        ]
    }


async def _set_pool(request: Request, pool_id: str, paused: bool, who: str) -> dict[str, Any] | JSONResponse:
    deps = _deps(request)
    if pool_id not in {p.id for p in deps.config.pools}:
        return invalid([{"field": "pool_id", "message": f"no pool {pool_id!r}"}], error="not_found", status=404)
    async with deps.db.session_scope() as session:
        await PoolStore(session).set_pool_paused(pool_id, paused, who)
        await AuditStore(session).record(who, "pool paused" if paused else "pool resumed", f"pool {pool_id}")
    return {"pool_id": pool_id, "paused": paused, "by": who}


@router.post("/v1/pools/{pool_id}/pause", response_model=None)
async def pause_pool(
    request: Request, pool_id: PoolId, key: Annotated[ApiKey, Operator("ops:write")], body: Acting | None = None
) -> dict[str, Any] | JSONResponse:
    return await _set_pool(request, pool_id, True, actor(key, body))


@router.post("/v1/pools/{pool_id}/resume", response_model=None)
async def resume_pool(
    request: Request, pool_id: PoolId, key: Annotated[ApiKey, Operator("ops:write")], body: Acting | None = None
) -> dict[str, Any] | JSONResponse:
    return await _set_pool(request, pool_id, False, actor(key, body))


class Reassign(Acting):
    rep_id: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9_.-]{1,64}$",
        description="The rep to give it to; none: back through the pool.",
    )
    reason: str = Field(min_length=1, max_length=300, description="Why: on the trace and in the audit log.")


@router.post("/v1/leads/{lead_id}/reassign", response_model=None)
async def reassign(
    request: Request, lead_id: UUID, body: Reassign, key: Annotated[ApiKey, Operator("ops:write")]
) -> JSONResponse:
    deps = _deps(request)
    async with deps.uow() as uow:
        answer = await reassign_in(uow, deps.config, lead_id, body.rep_id, body.reason, actor(key, body), deps.clock())
    return JSONResponse(answer.body, status_code=answer.status)


@router.get("/v1/audit", dependencies=[Operator("ops:read")])
async def audit(request: Request, limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> dict[str, Any]:
    async with _deps(request).db.session_scope() as session:
        entries = await AuditStore(session).recent(limit)
    return {"entries": [{k: _when(v) for k, v in e.items()} for e in entries]}
