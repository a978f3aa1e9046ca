"""`/v1/forms/<id>`: a website's own form, posted from visitors' browsers (the public zone).

Hostile by default: the Origin must be one the form allows (the CORS preflight is answered for
those only), per-IP and per-form rate limits (429 with Retry-After), a honeypot field, an optional
Turnstile / hCaptcha check, body and field caps. A submission never changes a lead that exists and
never learns a lead id: a known person's repeat is recorded as a touch linked to them."""

import hashlib
import logging
import time
from datetime import timedelta

import orjson
from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import ValidationError

from services.capture.api import ERRORS, json_body, runtime
from services.capture.captcha import CaptchaUnavailable, captcha_passed
from services.capture.form_body import form_fields
from services.capture.intake import GenericLead
from services.capture.lead_batch import LeadCommit, LeadItem
from shared import metrics
from shared.business.loader import BusinessConfig
from shared.business.sources import Form
from shared.http_errors import ApiError, field_errors
from shared.rate_limit import RateLimiter
from shared.zones import Public

log = logging.getLogger(__name__)
router = APIRouter()
FormId = Path(pattern=r"^[a-z0-9][a-z0-9_-]{1,39}$")
THANKS = "<!doctype html><meta charset=utf-8><title>Thank you</title><h1>Thank you</h1><p>We will be in touch.</p>"


class FormLimits:
    """One limiter per form for visitor IPs and one for the form as a whole."""

    def __init__(self) -> None:
        self.per_ip: dict[str, RateLimiter] = {}
        self.per_form: dict[str, RateLimiter] = {}

    def check(self, form: Form, ip: str, now: float) -> None:
        ip_limiter = self.per_ip.setdefault(form.id, RateLimiter(form.rate_limit.per_ip_per_minute))
        form_limiter = self.per_form.setdefault(form.id, RateLimiter(form.rate_limit.per_form_per_minute))
        wait = ip_limiter.hit(ip, now) or form_limiter.hit(form.id, now)
        if wait is not None:
            metrics.INTAKE.labels(f"form:{form.id}", "rate_limited").inc()
            raise ApiError.field(
                429,
                "rate_limited",
                "(request)",
                "too many submissions; try again later",
                headers={"Retry-After": str(max(1, round(wait)))},
            )


def configured_form(request: Request, form_id: str) -> Form:
    config: BusinessConfig = request.app.state.config
    form = config.form(form_id)
    if form is None:
        raise ApiError.field(404, "unknown_form", "form_id", f"no form {form_id!r} is configured")
    return form


def allowed_origin(request: Request, form: Form) -> str:
    origin = (request.headers.get("origin") or "").lower()
    if origin not in form.origins:
        metrics.INTAKE.labels(f"form:{form.id}", "origin_refused").inc()
        raise ApiError.field(403, "origin_not_allowed", "Origin", "this form does not accept posts from this site")
    return origin


def cors(origin: str) -> dict[str, str]:
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}


@router.options("/v1/forms/{form_id}", dependencies=[Public], responses=ERRORS)
async def form_preflight(request: Request, form_id: str = FormId) -> Response:
    """The browser's CORS preflight before a `fetch` post: answered for the form's own origins only."""
    form = configured_form(request, form_id)
    origin = allowed_origin(request, form)
    headers = {
        **cors(origin),
        "Access-Control-Allow-Methods": "POST",
        "Access-Control-Allow-Headers": "Content-Type",
        "Access-Control-Max-Age": "600",
    }
    return Response(status_code=204, headers=headers)


@router.post(
    "/v1/forms/{form_id}",
    status_code=202,
    dependencies=[Public],
    responses={**ERRORS, 303: {"description": "Plain HTML post: redirected to the form's redirect_url"}},
    openapi_extra=json_body(GenericLead, "application/x-www-form-urlencoded", "application/json"),
)
async def form_submission(request: Request, form_id: str = FormId) -> Response:
    _, settings = runtime(request)
    form = configured_form(request, form_id)
    origin = allowed_origin(request, form)
    ip = request.client.host if request.client else "unknown"
    try:
        request.app.state.form_limits.check(form, ip, time.monotonic())
        values, html_post = await form_fields(request)
        if form.honeypot and values.pop(form.honeypot, ""):
            metrics.INTAKE.labels(f"form:{form.id}", "honeypot").inc()
            return _received(form, html_post, origin)
        if form.captcha is not None:
            token = values.pop(form.captcha.token_field, None)
            try:
                passed = await captcha_passed(request.app.state.http, form.captcha, token, ip)
            except CaptchaUnavailable as exc:
                raise ApiError.field(502, "upstream_unavailable", form.captcha.token_field, str(exc)) from exc
            if not passed:
                metrics.INTAKE.labels(f"form:{form.id}", "captcha_failed").inc()
                raise ApiError.field(403, "captcha_failed", form.captcha.token_field, "the captcha was not solved")
        try:
            lead = GenericLead.model_validate(values)
        except ValidationError as exc:
            raise ApiError(422, "invalid_request", field_errors(exc.errors())) from exc
        if missing := lead.missing_contact():
            raise ApiError(422, "invalid_request", missing)
        commit: LeadCommit = request.app.state.lead_commit
        item = LeadItem(
            source=form.id,
            namespace=f"form:{form.id}",
            idempotency_key=None,
            body_hash=hashlib.sha256(orjson.dumps(values, option=orjson.OPT_SORT_KEYS)).hexdigest(),
            fields=lead.to_fields(),
            window=timedelta(hours=settings.dedupe_window_hours),
            trust="public",
        )
        await commit.accept("leads", item)
    except ApiError as exc:
        exc.headers.update(cors(origin))
        raise
    metrics.INTAKE.labels(f"form:{form.id}", "accepted").inc()
    request.app.state.relay.wake.set()
    return _received(form, html_post, origin)


def _received(form: Form, html_post: bool, origin: str) -> Response:
    """The same answer whether the lead was new, known or a bot's: nothing to learn from it."""
    if html_post and form.redirect_url is not None:
        return RedirectResponse(str(form.redirect_url), status_code=303, headers=cors(origin))
    if html_post:
        return HTMLResponse(THANKS, status_code=200, headers=cors(origin))
    return JSONResponse({"status": "received"}, status_code=202, headers=cors(origin))
