"""The routing configuration's operator API (route owns routing, so it publishes):

    GET  /v1/config/current                 the version in force here and its document   ops:read
    GET  /v1/config/versions                 every version, newest first (no documents)    ops:read
    GET  /v1/config/versions/{id}            one version with its document                 ops:read
    POST /v1/config/check     {document}     validate a draft: its diff, or 422 by field   ops:read
    POST /v1/config/versions  {document, message}  publish                                 ops:write
    POST /v1/config/versions/{id}/restore  {message}  publish an older version again       ops:write

A publish answers 201 once every running follower applied it (or after `wait_s`, naming those still
pending). The author is the API key's name. Bodies are capped like every other (256 KiB)."""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from services.route.config_publish import ConfigPublisher
from shared.business.versioned import DraftInvalid, diff
from shared.http_errors import invalid
from shared.settings import ApiKey
from shared.zones import Operator

router = APIRouter(tags=["config"])
VersionId = Annotated[int, Path(ge=1, le=2**62)]


class Draft(BaseModel):
    model_config = ConfigDict(extra="forbid")
    document: dict[str, Any] = Field(description="reps, pools, accounts, routing and scoring, as in the YAML file.")


class Publish(Draft):
    message: str = Field(min_length=1, max_length=500, description="Why: shown in the audit log.")
    wait_s: float = Field(default=10.0, ge=0, le=60, description="How long to wait for every follower to apply it.")


class Restore(BaseModel):
    model_config = ConfigDict(extra="forbid")
    message: str = Field(min_length=1, max_length=500)
    wait_s: float = Field(default=10.0, ge=0, le=60)


def _publisher(request: Request) -> ConfigPublisher:
    publisher: ConfigPublisher = request.app.state.publisher
    return publisher


def _refused(exc: DraftInvalid | ValueError) -> JSONResponse:
    if isinstance(exc, DraftInvalid):
        fields = [{"field": f"document.{e.field}", "message": e.message} for e in exc.errors]
    else:
        fields = [{"field": "document.pools", "message": str(exc)}]
    return invalid(fields, error="invalid_config")


def _no_version(version_id: int) -> JSONResponse:
    return invalid([{"field": "id", "message": f"no version {version_id}"}], error="not_found", status=404)


@router.get("/v1/config/current", dependencies=[Operator("ops:read")])
async def current(request: Request) -> dict[str, Any]:
    version, document = await _publisher(request).current_document()
    in_force = request.app.state.route_deps.live.current.version
    return {"version": version, "in_force_here": in_force, "document": document}


@router.get("/v1/config/versions", dependencies=[Operator("ops:read")])
async def listing(request: Request, limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> dict[str, Any]:
    versions = await _publisher(request).versions(limit)
    return {"versions": [v.public() for v in versions]}


@router.get("/v1/config/versions/{version_id}", dependencies=[Operator("ops:read")], response_model=None)
async def one(request: Request, version_id: VersionId) -> dict[str, Any] | JSONResponse:
    version = await _publisher(request).version(version_id)
    return version.public(with_document=True) if version else _no_version(version_id)


@router.post("/v1/config/check", dependencies=[Operator("ops:read")], response_model=None)
async def check(request: Request, body: Draft) -> dict[str, Any] | JSONResponse:
    publisher = _publisher(request)
    try:
        stored = publisher.check(body.document)
    except (DraftInvalid, ValueError) as exc:
        return _refused(exc)
    version, before = await publisher.current_document()
    return {"valid": True, "against": version, "diff": diff(before, stored)}


@router.post("/v1/config/versions", status_code=201, response_model=None)
async def publish(
    request: Request, body: Publish, key: Annotated[ApiKey, Operator("ops:write")]
) -> dict[str, Any] | JSONResponse:
    try:
        published = await _publisher(request).publish(body.document, key.name, body.message, wait_s=body.wait_s)
    except (DraftInvalid, ValueError) as exc:
        return _refused(exc)
    return published.public()


@router.post("/v1/config/versions/{version_id}/restore", status_code=201, response_model=None)
async def restore(
    request: Request, version_id: VersionId, body: Restore, key: Annotated[ApiKey, Operator("ops:write")]
) -> dict[str, Any] | JSONResponse:
    old = await _publisher(request).version(version_id)
    if old is None:
        return _no_version(version_id)
    try:
        published = await _publisher(request).publish(
            old.document, key.name, body.message, restores=version_id, wait_s=body.wait_s
        )
    except (DraftInvalid, ValueError) as exc:
        return _refused(exc)
    return published.public()
