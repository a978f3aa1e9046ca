"""Subscriptions and their delivery log (the operator zone: ops:read to look, ops:write to change).

    POST   /v1/outbound/subscriptions {"url", "events": [...], "description"}   -> 201 with its secret
    GET    /v1/outbound/subscriptions
    PATCH  /v1/outbound/subscriptions/{id} {"enabled": true|false}
    DELETE /v1/outbound/subscriptions/{id}
    GET    /v1/outbound/subscriptions/{id}/deliveries?status=failed&limit=100
    POST   /v1/outbound/subscriptions/{id}/replay {"since": <ISO time>, "status": "failed"}

The secret (whsec_..., Standard Webhooks) is shown once, on creation. URLs must be http(s); unless
LEADRELAY_ALLOW_PRIVATE_URLS is set (development only), one whose host is this machine or is written
as a non-global address in any notation is refused here, and every delivery checks the addresses
the name resolves to at that moment (see address_guard), so a subscription cannot reach leadrelay's
own network or a cloud metadata service."""

import base64
import secrets
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, field_validator

from services.outbound import store
from services.outbound.address_guard import refused_host
from services.outbound.config import OutboundSettings
from services.outbound.events import TYPES
from shared.http_errors import ApiError
from shared.service import Runtime
from shared.time_bounds import BoundedDatetime
from shared.zones import Operator

router = APIRouter()
EventType = Literal["captured", "scored", "assigned", "claimed", "nurtured", "escalated"]
Status = Literal["queued", "sending", "sent", "failed"]
assert set(TYPES) == set(EventType.__args__)  # type: ignore[attr-defined]


class NewSubscription(BaseModel):
    model_config = {"extra": "forbid"}
    url: str = Field(max_length=2000)
    events: list[EventType] = Field(min_length=1, max_length=len(TYPES))
    description: str = Field(default="", max_length=200)

    @field_validator("url")
    @classmethod
    def _http(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("an http or https URL with a host")
        return value


class Change(BaseModel):
    model_config = {"extra": "forbid"}
    enabled: bool


class Replay(BaseModel):
    model_config = {"extra": "forbid"}
    since: BoundedDatetime | None = None
    status: Status | None = None


def _rt(request: Request) -> tuple[Runtime, OutboundSettings]:
    return request.app.state.runtime, request.app.state.settings


def _not_found(sub_id: UUID) -> ApiError:
    return ApiError.field(404, "not_found", "id", f"no subscription {sub_id}")


@router.post("/v1/outbound/subscriptions", status_code=201, dependencies=[Operator("ops:write")])
async def create(request: Request, body: NewSubscription) -> JSONResponse:
    rt, settings = _rt(request)
    host = urlsplit(body.url).hostname or ""
    if (reason := refused_host(host)) is not None and not settings.allow_private_urls:
        raise ApiError.field(422, "invalid_request", "url", f"not a global address: {reason}")
    if settings.allowed_hosts is not None and host.lower() not in settings.allowed_hosts:
        raise ApiError.field(422, "invalid_request", "url", "not one of the hosts LEADRELAY_ALLOWED_HOSTS allows")
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    async with rt.db.session_scope() as session:
        sub = await store.create(
            session, uuid.uuid4(), "webhook", body.url, sorted(set(body.events)), secret, body.description
        )
    request.app.state.wanted.invalidate()
    return JSONResponse({**sub.public(), "secret": secret}, status_code=201)


@router.get("/v1/outbound/subscriptions", dependencies=[Operator("ops:read")])
async def listing(request: Request) -> dict[str, Any]:
    rt, _ = _rt(request)
    async with rt.db.session_scope() as session:
        return {"subscriptions": [s.public() for s in await store.listed(session)]}


@router.patch("/v1/outbound/subscriptions/{sub_id}", dependencies=[Operator("ops:write")])
async def change(request: Request, sub_id: UUID, body: Change) -> dict[str, Any]:
    rt, sender = _rt(request)[0], request.app.state.sender
    async with rt.db.session_scope() as session:
        if not await store.set_enabled(session, sub_id, body.enabled, "disabled by an operator"):
            raise _not_found(sub_id)
        sub = await store.get(session, sub_id)
    sender.wake.set()
    assert sub is not None
    return sub.public()


@router.delete("/v1/outbound/subscriptions/{sub_id}", status_code=204, dependencies=[Operator("ops:write")])
async def remove(request: Request, sub_id: UUID) -> None:
    rt, _ = _rt(request)
    async with rt.db.session_scope() as session:
        if not await store.delete(session, sub_id):
            raise _not_found(sub_id)
    request.app.state.wanted.invalidate()


@router.get("/v1/outbound/subscriptions/{sub_id}/deliveries", dependencies=[Operator("ops:read")])
async def deliveries(
    request: Request,
    sub_id: UUID,
    status: Annotated[Status | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    rt, _ = _rt(request)
    async with rt.db.session_scope() as session:
        if await store.get(session, sub_id) is None:
            raise _not_found(sub_id)
        rows = await store.log(session, sub_id, status, limit)
    return {"deliveries": [{k: (str(v) if isinstance(v, (UUID, datetime)) else v) for k, v in r.items()} for r in rows]}


@router.post("/v1/outbound/subscriptions/{sub_id}/replay", dependencies=[Operator("ops:write")])
async def replay(request: Request, sub_id: UUID, body: Replay) -> dict[str, Any]:
    rt, sender = _rt(request)[0], request.app.state.sender
    async with rt.db.session_scope() as session:
        if await store.get(session, sub_id) is None:
            raise _not_found(sub_id)
        count = await store.replay(session, sub_id, body.since, body.status)
    sender.wake.set()
    return {"replayed": count}
