"""The routing configuration's operator API (route owns routing, so it publishes):

    GET  /v1/config/current                 the version in force here and its document   ops:read
    GET  /v1/config/versions                 every version, newest first (no documents)    ops:read
    GET  /v1/config/versions/{id}            one version with its document                 ops:read
    POST /v1/config/check     {document}     validate a draft: its diff, or 422 by field   ops:read
    POST /v1/config/preview   {document, days, sample}  what the draft would have done    ops:read
    POST /v1/config/versions  {document, message}  publish                                 ops:write
    POST /v1/config/versions/{id}/restore  {message}  publish an older version again       ops:write
                                             (0: the YAML file's own routing)

A publish answers 201 once every running follower applied it (or after `wait_s`, naming those still
pending). The author is the API key's name, and for the console's key "console for <user>" (the
console names the user it acts for in `acting_for`). Bodies are capped like every other (256 KiB)."""

from datetime import timedelta
from typing import Annotated, Any

from aiokafka.errors import KafkaError
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import text

from services.route.config_publish import ConfigPublisher
from services.route.impact import impact
from services.route.store.recorded import recorded_since
from shared.business.versioned import DraftInvalid, routing_part
from shared.http_errors import invalid
from shared.settings import ApiKey
from shared.zones import Operator

router = APIRouter(tags=["config"])
VersionId = Annotated[int, Path(ge=1, le=2**62)]
PREVIEW_LEADS = 20_000


class Draft(BaseModel):
    model_config = ConfigDict(extra="forbid")
    document: dict[str, Any] = Field(description="reps, pools, accounts, routing and scoring, as in the YAML file.")


class Preview(Draft):
    days: int = Field(default=30, ge=1, le=90, description="Replay the leads scored in the last N days.")
    sample: int = Field(default=10, ge=0, le=100, description="How many moved leads to show with their traces.")


ActingFor = Field(default=None, pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$", description="The console user the key acts for.")


class Publish(Draft):
    message: str = Field(min_length=1, max_length=500, description="Why: shown in the audit log.")
    wait_s: float = Field(default=10.0, ge=0, le=60, description="How long to wait for every follower to apply it.")
    acting_for: str | None = ActingFor


class Restore(BaseModel):
    model_config = ConfigDict(extra="forbid")
    message: str = Field(min_length=1, max_length=500)
    wait_s: float = Field(default=10.0, ge=0, le=60)
    acting_for: str | None = ActingFor


def _author(key: ApiKey, acting_for: str | None) -> str:
    return f"{key.name} for {acting_for}" if acting_for else key.name


def _publisher(request: Request) -> ConfigPublisher:
    publisher: ConfigPublisher = request.app.state.publisher
    return publisher


def _refused(exc: DraftInvalid | ValueError) -> JSONResponse:
    if isinstance(exc, DraftInvalid):
        fields = [{"field": f"document.{e.field}", "message": e.message} for e in exc.errors]
    else:
        fields = [{"field": "document.pools", "message": str(exc)}]
    return invalid(fields, error="invalid_config")


def _broker_down(exc: KafkaError) -> JSONResponse:
    """Nothing was stored: the row commits only after the broker acknowledged the version."""
    message = f"Kafka did not take the version ({type(exc).__name__}); nothing was published"
    response = invalid([{"field": "broker", "message": message}], error="broker_unavailable", status=503)
    response.headers["Retry-After"] = "5"
    return response


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
    return {"valid": True, "against": version, "diff": publisher.changes(before, stored)}


@router.post("/v1/config/preview", dependencies=[Operator("ops:read")], response_model=None)
async def preview(request: Request, body: Preview) -> dict[str, Any] | JSONResponse:
    """The draft against the version in force, over the same recorded leads (at most PREVIEW_LEADS,
    the newest); read-only."""
    publisher = _publisher(request)
    try:
        draft = publisher.build(body.document)
    except (DraftInvalid, ValueError) as exc:
        return _refused(exc)
    deps = request.app.state.route_deps
    since = deps.clock() - timedelta(days=body.days)
    async with deps.db.session_scope() as session:
        await session.execute(text("SET TRANSACTION READ ONLY"))
        recorded = await recorded_since(session, since, PREVIEW_LEADS)
    version, before = await publisher.current_document()
    result = impact(deps.config, draft, recorded, body.sample)
    changes = publisher.changes(before, routing_part(draft))
    return {"against": version, "days": body.days, "diff": changes, **result}


@router.post("/v1/config/versions", status_code=201, response_model=None)
async def publish(
    request: Request, body: Publish, key: Annotated[ApiKey, Operator("ops:write")]
) -> dict[str, Any] | JSONResponse:
    try:
        published = await _publisher(request).publish(
            body.document, _author(key, body.acting_for), body.message, wait_s=body.wait_s
        )
    except (DraftInvalid, ValueError) as exc:
        return _refused(exc)
    except KafkaError as exc:
        return _broker_down(exc)
    return published.public()


@router.post("/v1/config/versions/{version_id}/restore", status_code=201, response_model=None)
async def restore(
    request: Request,
    version_id: Annotated[int, Path(ge=0, le=2**62)],
    body: Restore,
    key: Annotated[ApiKey, Operator("ops:write")],
) -> dict[str, Any] | JSONResponse:
    publisher = _publisher(request)
    old = await publisher.version(version_id) if version_id else None
    if version_id and old is None:
        return _no_version(version_id)
    document = old.document if old is not None else publisher.bootstrap_document()
    try:
        published = await publisher.publish(
            document, _author(key, body.acting_for), body.message, restores=version_id, wait_s=body.wait_s
        )
    except (DraftInvalid, ValueError) as exc:
        return _refused(exc)
    except KafkaError as exc:
        return _broker_down(exc)
    return published.public()
