"""The sales-ops console: server-rendered pages (Jinja2, autoescaped), SVG charts from the server and
a few lines of plain JavaScript for the live feed. Zones: /console/login is public (rate-limited);
every other page needs a console session (see sessions); forms carry the session's CSRF token."""

import time
from collections.abc import Awaitable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import ValidationError

from services.insights import charts, queries, report_service, report_tables, sessions
from services.insights.api import csv_response, jsonable
from services.insights.capture_client import CaptureClient
from services.insights.operator_api import Unavailable
from services.insights.queries import ReportFilters
from services.insights.route_client import RouteClient, RouteUnavailable
from shared.public_url import is_https
from shared.rate_limit import RateLimiter
from shared.zones import Public, find_key

HERE = Path(__file__).resolve().parent
templates = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]))
router = APIRouter(prefix="/console", include_in_schema=False)


def _ts(value: Any) -> str:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return "-"
    return value.strftime("%Y-%m-%d %H:%M:%S") if hasattr(value, "strftime") else "-"


def _tms(value: Any) -> str:
    return value.strftime("%H:%M:%S.%f")[:-3] if hasattr(value, "strftime") else "-"


def _secs(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.1f} s" if value < 120 else f"{value / 60:.1f} min"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.0f}%"


templates.filters.update(ts=_ts, tms=_tms, secs=_secs, pct=_pct)
login_limiter = RateLimiter(per_minute=10)
FormField = Annotated[str, Form(max_length=200)]
LeadId = UUID


def page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    html = templates.get_template(name).render(request=request, **context)
    return HTMLResponse(html, status_code=status)


def capture_client(request: Request) -> CaptureClient:
    client: CaptureClient = request.app.state.capture
    return client


def route_client(request: Request) -> RouteClient:
    client: RouteClient = request.app.state.route
    return client


@router.get("/static/{name}", dependencies=[Public])
async def static(name: str) -> Response:
    files = {"console.css": "text/css", "live.js": "text/javascript", "rules.js": "text/javascript"}
    if name not in files:
        raise HTTPException(404, "no such file")
    return Response((HERE / "static" / name).read_bytes(), media_type=files[name])


@router.get("/login", dependencies=[Public], response_class=HTMLResponse)
async def login_page(request: Request) -> HTMLResponse:
    return page(request, "login.html")


@router.post("/login", dependencies=[Public], response_class=HTMLResponse)
async def login(request: Request, key: FormField) -> Response:
    ip = request.client.host if request.client else "-"
    wait = login_limiter.hit(ip, time.monotonic())
    if wait is not None:
        return page(request, "login.html", 429, error="Too many attempts; wait a minute.")
    found = find_key(request.app.state.settings, key)
    role = sessions.role_of(found) if found is not None else None
    if found is None or role is None:
        return page(request, "login.html", 401, error="Unknown key, or a key that may not use the console.")
    cookie, _ = sessions.issue(request.app.state.session_secret, found.name, request.app.state.settings.session_hours)
    response = RedirectResponse("/console", status_code=303)
    response.set_cookie(
        sessions.COOKIE,
        cookie,
        max_age=int(request.app.state.settings.session_hours * 3600),
        httponly=True,
        samesite="strict",
        secure=not request.app.state.settings.development or is_https(request, request.app.state.settings.public_url),
        path="/console",
    )
    return response


@router.post("/logout", response_class=HTMLResponse)
async def logout(user: sessions.User, csrf: FormField) -> Response:
    sessions.check_csrf(user, csrf)
    response = RedirectResponse(sessions.LOGIN_PATH, status_code=303)
    response.delete_cookie(sessions.COOKIE, path="/console")
    return response


@router.get("", response_class=HTMLResponse)
async def live_page(request: Request, user: sessions.User) -> HTMLResponse:
    async with request.app.state.runtime.db.session_scope() as session:
        rows = await queries.live(session, user.rep)
    return page(request, "live.html", user=user, rows=rows)


@router.get("/live.json")
async def live_rows(request: Request, user: sessions.User) -> JSONResponse:
    """The live feed's rows, polled by live.js."""
    async with request.app.state.runtime.db.session_scope() as session:
        rows = await queries.live(session, user.rep)
    return JSONResponse(jsonable(rows))


@router.get("/leads/{lead_id}", response_class=HTMLResponse)
async def lead_detail(request: Request, lead_id: LeadId, user: sessions.User) -> HTMLResponse:
    async with request.app.state.runtime.db.session_scope() as session:
        allowed = user.is_ops or await queries.owns(session, lead_id, user.rep or "")
        found = await queries.lead_page(session, lead_id) if allowed else None
        claimable = await queries.open_assignment_of(session, lead_id, user.rep) if user.rep and allowed else None
    if found is None:
        return page(request, "message.html", 404, user=user, title="Not found", message="No such lead for you.")
    reviews, reviews_error = [], None
    if user.is_ops:
        try:
            reviews = await capture_client(request).reviews(lead_id)
        except Unavailable as exc:
            reviews_error = str(exc)
    reps: list[Any] = []
    if user.is_ops and user.can_write:
        try:
            reps = (await route_client(request).reps())["reps"]
        except RouteUnavailable:
            reps = [{"id": r.id, "name": r.name} for r in request.app.state.live.current.config.reps]
    return page(
        request,
        "lead.html",
        user=user,
        claimable=claimable,
        reviews=reviews,
        reviews_error=reviews_error,
        reps=reps,
        **found,
    )


@router.post("/leads/{lead_id}/reassign", response_class=HTMLResponse)
async def reassign(
    request: Request,
    lead_id: LeadId,
    user: sessions.OpsWriter,
    csrf: FormField,
    reason: Annotated[str, Form(min_length=1, max_length=300)],
    rep_id: FormField = "",
) -> Response:
    """To the chosen rep, or back through the pool; route records who and why, and restarts the clock."""
    sessions.check_csrf(user, csrf)
    try:
        status, body = await route_client(request).reassign(lead_id, rep_id or None, reason, user.name)
    except RouteUnavailable as exc:
        return page(request, "message.html", 503, user=user, title="Try again", message=str(exc))
    if status != 200:
        detail = "; ".join(f"{f['field']}: {f['message']}" for f in body.get("fields", [])) or str(body)
        return page(request, "message.html", status, user=user, title="Not reassigned", message=detail)
    to = body.get("to") or body.get("outcome")
    return RedirectResponse(f"/console/leads/{lead_id}?reassigned={to}", status_code=303)


ReviewId = Annotated[int, PathParam(ge=1, le=2**62)]


@router.post("/leads/{lead_id}/reviews/{review_id}/{decision}", response_class=HTMLResponse)
async def decide_review(
    request: Request,
    lead_id: LeadId,
    review_id: ReviewId,
    decision: Literal["accept", "reject"],
    user: sessions.OpsWriter,
    csrf: FormField,
) -> Response:
    """Ops accept or reject a value a visitor proposed; capture applies it."""
    sessions.check_csrf(user, csrf)
    try:
        status, body = await capture_client(request).decide(review_id, decision, user.name)
    except Unavailable as exc:
        return page(request, "message.html", 503, user=user, title="Try again", message=str(exc))
    if status != 200:
        reason = body["fields"][0]["message"] if isinstance(body, dict) and body.get("fields") else "refused"
        return page(request, "message.html", status, user=user, title="Not decided", message=reason)
    return RedirectResponse(f"/console/leads/{lead_id}?reviewed={decision}#reviews", status_code=303)


@router.post("/leads/{lead_id}/claim", response_class=HTMLResponse)
async def claim(request: Request, lead_id: LeadId, user: sessions.User, csrf: FormField) -> Response:
    sessions.check_csrf(user, csrf)
    if user.rep is None:
        raise HTTPException(403, "only a rep claims leads")
    async with request.app.state.runtime.db.session_scope() as session:
        assignment = await queries.open_assignment_of(session, lead_id, user.rep)
    if assignment is None:
        return page(request, "message.html", 409, user=user, title="Nothing to claim", message="No open assignment.")
    try:
        status, body = await route_client(request).claim(assignment, user.rep)
    except RouteUnavailable as exc:
        return page(request, "message.html", 503, user=user, title="Try again", message=str(exc))
    if status != 200:
        reason = body.get("error", "refused") if isinstance(body, dict) else "refused"
        return page(request, "message.html", 409, user=user, title="Not claimed", message=reason.replace("_", " "))
    return RedirectResponse(f"/console/leads/{lead_id}?claimed=1", status_code=303)


@router.get("/reps", response_class=HTMLResponse)
async def reps_page(request: Request, user: sessions.OpsUser) -> HTMLResponse:
    try:
        live, pools = await route_client(request).reps(), await route_client(request).pools()
        error = None
    except RouteUnavailable as exc:
        live, pools, error = {"reps": [], "held_leads": None}, [], str(exc)
    return page(request, "reps.html", user=user, live=live, pools=pools, error=error)


RepId = Annotated[str, PathParam(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")]


async def _switched(
    request: Request, user: sessions.ConsoleUser, change: Awaitable[tuple[int, Any]], missing: str
) -> Response:
    """Ask route for a pause or resume; back to the Reps page, or say why not."""
    try:
        status, _ = await change
    except RouteUnavailable as exc:
        return page(request, "message.html", 503, user=user, title="Try again", message=str(exc))
    if status != 200:
        return page(request, "message.html", status, user=user, title="Not changed", message=missing)
    return RedirectResponse("/console/reps", status_code=303)


@router.post("/reps/{rep_id}/{action}", response_class=HTMLResponse)
async def pause_or_resume(
    request: Request, rep_id: RepId, action: Literal["pause", "resume"], user: sessions.OpsWriter, csrf: FormField
) -> Response:
    sessions.check_csrf(user, csrf)
    change = route_client(request).set_paused(rep_id, action == "pause", user.name)
    return await _switched(request, user, change, f"no rep {rep_id}")


@router.post("/pools/{pool_id}/{action}", response_class=HTMLResponse)
async def pause_or_resume_pool(
    request: Request, pool_id: RepId, action: Literal["pause", "resume"], user: sessions.OpsWriter, csrf: FormField
) -> Response:
    """A paused pool takes no leads: they overflow as its policy says, or wait until it is resumed."""
    sessions.check_csrf(user, csrf)
    change = route_client(request).set_pool_paused(pool_id, action == "pause", user.name)
    return await _switched(request, user, change, f"no pool {pool_id}")


@router.get("/reports", response_class=HTMLResponse)
async def reports_page(request: Request, user: sessions.OpsUser) -> HTMLResponse:
    try:
        f = ReportFilters.model_validate({k: v for k, v in request.query_params.items() if v})
    except ValidationError as exc:
        errors = [f"{'.'.join(str(p) for p in e['loc']) or 'filters'}: {e['msg']}" for e in exc.errors()]
        return page(request, "message.html", 422, user=user, title="Invalid filter", message="; ".join(errors))
    built = await report_service.build_all(request.app.state.runtime.db, request.app.state.live.current.config, f)
    speed, funnel, fairness = built["speed-to-lead"], built["funnel"], built["fairness"]
    by_rep = [(g["key"], [g["to_claim_p50"], g["to_claim_p90"]]) for g in speed["groups"]["rep"]]
    by_source = [(g["key"], [g["to_alert_p50"], g["to_alert_p90"]]) for g in speed["groups"]["source"]]
    steps = [(s, [float(funnel["total"][s])]) for s in report_tables.FUNNEL_COLUMNS[:5]]
    return page(
        request,
        "reports.html",
        user=user,
        filters=f,
        query=f.params(),
        speed=speed,
        funnel=funnel,
        fairness=fairness,
        chart_claim=charts.bars("Webhook to claim, by rep", by_rep, ["p50", "p90"], "s"),
        chart_alert=charts.bars("Webhook to first alert, by source", by_source, ["p50", "p90"], "s"),
        chart_funnel=charts.bars("Funnel", steps, ["leads"]),
    )


@router.get("/reports/{name}.csv")
async def report_csv(
    request: Request,
    name: report_service.ReportName,
    user: sessions.OpsUser,
    filters: Annotated[ReportFilters, Query()],
) -> Response:
    body = await report_service.build(
        request.app.state.runtime.db, request.app.state.live.current.config, name, filters
    )
    return csv_response(name, report_service.csv_of(name, body))
