"""The Rules page as an editor of the routing version (issue 20). The draft is the YAML of the
routing part (reps, pools, accounts, routing, scoring) in the page's form; route validates it
(`/v1/config/check`, called as the user types, errors inline with their YAML line), previews what it
would have done to recent leads (`/v1/config/preview`; nothing is written) and publishes it with a
message (`ops:write` users only). The audit page lists every version and every claim made from the
console. Zones: console session (ops), CSRF token on every POST."""

from typing import Annotated, Any

import yaml
from fastapi import APIRouter, Form, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from services.insights import queries, sessions
from services.insights.console import FormField, page, route_client
from services.insights.route_client import RouteUnavailable
from shared.business.loader import BusinessConfig, line_of
from shared.business.versioned import DraftInvalid, with_version

router = APIRouter(prefix="/console", include_in_schema=False)
DraftField = Annotated[str, Form(max_length=200_000)]
MessageField = Annotated[str, Form(min_length=1, max_length=500)]


def as_yaml(document: dict[str, Any]) -> str:
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=110)


def parse_draft(draft: str) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The draft's document, or the YAML error with its line."""
    try:
        document = yaml.safe_load(draft)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        return None, [{"field": "draft", "line": line, "message": f"not valid YAML: {getattr(exc, 'problem', exc)}"}]
    if not isinstance(document, dict):
        return None, [{"field": "draft", "line": 1, "message": "the draft is a mapping of reps, pools, accounts, ..."}]
    return document, []


def located(draft: str, fields: list[dict[str, str]]) -> list[dict[str, Any]]:
    """route's field errors (`document.pools.0.members.1.rep`) with the draft's line for each."""
    root = yaml.compose(draft)
    out = []
    for f in fields:
        path = f["field"].removeprefix("document.")
        loc = tuple(int(p) if p.isdigit() else p for p in path.split("."))
        out.append({"field": path, "line": line_of(root, loc) if "(" not in path else None, "message": f["message"]})
    return out


def rule_rows(config: BusinessConfig) -> list[dict[str, Any]]:
    """The routing rules as the rules page lists them: each condition as `field test value`."""
    rows = []
    for rule in config.routing.rules:
        when = []
        for c in rule.when:
            tests = c.model_dump(exclude_none=True, exclude={"field"}, by_alias=True)
            when.append(" ".join(f"{c.field} {k} {v}" for k, v in tests.items()))
        rows.append({"id": rule.id, "when": when, "pool": rule.pool, "sla": rule.sla_minutes or "by grade"})
    return rows


async def rules_context(request: Request, draft: str | None = None) -> dict[str, Any]:
    """The version in force (its rules table) and the editor's draft (the latest version's YAML)."""
    base: BusinessConfig = request.app.state.config
    try:
        current = await route_client(request).current_config()
        config = with_version(base, current["document"])
        version, error = current["version"], None
    except (RouteUnavailable, DraftInvalid, KeyError) as exc:
        current, config, version, error = {"document": {}}, base, None, str(exc)
    return {
        "config": config,
        "rules": rule_rows(config),
        "version": version,
        "route_error": error,
        "draft": draft if draft is not None else as_yaml(current["document"]),
        "form": {},
        "result": None,
    }


@router.get("/rules", response_class=HTMLResponse)
async def rules_page(
    request: Request, user: sessions.OpsUser, published: Annotated[int | None, Query(ge=1)] = None
) -> HTMLResponse:
    context = await rules_context(request)
    return page(request, "rules.html", user=user, published=published, **context)


@router.post("/rules", response_class=HTMLResponse)
async def simulate(
    request: Request,
    user: sessions.OpsUser,
    csrf: FormField,
    email: FormField = "",
    title: FormField = "",
    country: FormField = "",
    source: FormField = "simulate",
    fit: Annotated[int, Form(ge=-1000, le=1000)] = 0,
    intent: Annotated[int, Form(ge=-1000, le=1000)] = 0,
    grade: FormField = "",
    stage: FormField = "",
) -> HTMLResponse:
    """Route's decision for a hypothetical lead against the version in force; nothing is written."""
    sessions.check_csrf(user, csrf)
    form = {"email": email, "title": title, "country": country, "source": source or "simulate"}
    lead: dict[str, Any] = {k: v for k, v in form.items() if v}
    lead.update({"fit": fit, "intent": intent})
    if grade:
        lead["grade"] = grade
    if stage:
        lead["stage"] = stage
    try:
        status, result = await route_client(request).simulate(lead)
    except RouteUnavailable as exc:
        status, result = 503, {"error": str(exc)}
    context = {**await rules_context(request), "form": {**form, "fit": fit, "intent": intent}, "result": result}
    return page(request, "rules.html", 200 if status == 200 else 422, user=user, route_status=status, **context)


class CheckBody(BaseModel):
    csrf: str = Field(max_length=200)
    draft: str = Field(max_length=200_000)


@router.post("/rules/check")
async def check(request: Request, user: sessions.OpsUser, body: CheckBody) -> JSONResponse:
    """As the user types: {valid, errors: [{field, line, message}], diff}."""
    sessions.check_csrf(user, body.csrf)
    document, errors = parse_draft(body.draft)
    if document is None:
        return JSONResponse({"valid": False, "errors": errors, "diff": []})
    try:
        status, answer = await route_client(request).check_config(document)
    except RouteUnavailable as exc:
        return JSONResponse({"valid": False, "errors": [{"field": "route", "message": str(exc)}], "diff": []}, 503)
    if status != 200:
        return JSONResponse({"valid": False, "errors": located(body.draft, answer.get("fields", [])), "diff": []})
    return JSONResponse({"valid": True, "errors": [], "diff": answer["diff"]})


async def _refused_page(request: Request, user: sessions.ConsoleUser, draft: str, errors: list[Any]) -> HTMLResponse:
    context = await rules_context(request, draft)
    return page(request, "rules.html", 422, user=user, errors=errors, **context)


@router.post("/rules/preview", response_class=HTMLResponse)
async def preview(
    request: Request,
    user: sessions.OpsUser,
    csrf: Annotated[str, Form(max_length=200)],
    draft: DraftField,
    days: Annotated[int, Form(ge=1, le=90)] = 30,
) -> HTMLResponse:
    sessions.check_csrf(user, csrf)
    document, errors = parse_draft(draft)
    if document is None:
        return await _refused_page(request, user, draft, errors)
    try:
        status, answer = await route_client(request).preview_config(document, days)
    except RouteUnavailable as exc:
        return page(request, "message.html", 503, user=user, title="Try again", message=str(exc))
    if status != 200:
        return await _refused_page(request, user, draft, located(draft, answer.get("fields", [])))
    context = await rules_context(request, draft)
    return page(request, "rules.html", user=user, impact=answer, **context)


@router.post("/rules/publish", response_class=HTMLResponse)
async def publish(
    request: Request,
    user: sessions.OpsWriter,
    csrf: Annotated[str, Form(max_length=200)],
    draft: DraftField,
    message: MessageField,
) -> Response:
    sessions.check_csrf(user, csrf)
    document, errors = parse_draft(draft)
    if document is None:
        return await _refused_page(request, user, draft, errors)
    try:
        status, answer = await route_client(request).publish_config(document, message, user.name)
    except RouteUnavailable as exc:
        return page(request, "message.html", 503, user=user, title="Try again", message=str(exc))
    if status != 201:
        return await _refused_page(request, user, draft, located(draft, answer.get("fields", [])))
    return RedirectResponse(f"/console/rules?published={answer['id']}", status_code=303)


@router.post("/rules/restore/{version_id}", response_class=HTMLResponse)
async def restore(
    request: Request,
    version_id: Annotated[int, PathParam(ge=0, le=2**62)],
    user: sessions.OpsWriter,
    csrf: Annotated[str, Form(max_length=200)],
    message: MessageField,
) -> Response:
    sessions.check_csrf(user, csrf)
    try:
        status, answer = await route_client(request).restore_config(version_id, message, user.name)
    except RouteUnavailable as exc:
        return page(request, "message.html", 503, user=user, title="Try again", message=str(exc))
    if status != 201:
        detail = "; ".join(f"{f['field']}: {f['message']}" for f in answer.get("fields", []))
        return page(request, "message.html", status, user=user, title="Not restored", message=detail)
    return RedirectResponse(f"/console/audit?restored={answer['id']}", status_code=303)


@router.get("/audit", response_class=HTMLResponse)
async def audit(request: Request, user: sessions.OpsUser) -> HTMLResponse:
    try:
        versions, entries = await route_client(request).config_versions(), await route_client(request).audit()
        error = None
    except RouteUnavailable as exc:
        versions, entries, error = [], [], str(exc)
    async with request.app.state.runtime.db.session_scope() as session:
        claims = await queries.console_claims(session, limit=200)
    return page(request, "audit.html", user=user, versions=versions, entries=entries, claims=claims, route_error=error)
