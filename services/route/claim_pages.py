"""Claim links opened from an SMS or an email (the public zone). A GET only shows a confirm page and
changes nothing, because mail scanners and chat previews open every link before the person does.
The page's buttons POST the claim, or turn the lead down with a reason (not mine, not a fit, wrong
territory). A link works once; an expired link gets a 410 page."""

import hashlib
import html
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse

from services.route.claims import claim_in
from services.route.config import RouteSettings
from services.route.handler import RouteDeps
from services.route.rejections import Reason, reject_in
from services.route.uow import RouteUnitOfWork
from shared.claim_links import ClaimGrant, ExpiredLink, InvalidLink, read_token
from shared.zones import Public

router = APIRouter()
Token = Path(max_length=600, pattern=r"^[A-Za-z0-9_.-]+$")
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Robots-Tag": "noindex",
}
STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}"
    "button{font-size:1.2rem;padding:.6rem 1.4rem}"
)


def page(status: int, title: str, message: str, form: str = "") -> HTMLResponse:
    body = (
        f"<!doctype html><meta charset=utf-8><meta name=viewport content='width=device-width'>"
        f"<title>{html.escape(title)}</title><style>{STYLE}</style>"
        f"<h1>{html.escape(title)}</h1><p>{html.escape(message)}</p>{form}"
    )
    return HTMLResponse(body, status_code=status, headers=PAGE_HEADERS)


def grant_of(request: Request, token: str) -> ClaimGrant | HTMLResponse:
    settings: RouteSettings = request.app.state.settings
    deps: RouteDeps = request.app.state.route_deps
    if settings.claim_link_secret is None:
        return page(503, "Claim links are off", "Claim links are not configured on this server.")
    try:
        return read_token(settings.claim_link_secret.get_secret_value(), token, deps.clock())
    except ExpiredLink:
        return page(410, "Link expired", "This claim link has expired. Ask your manager to reassign the lead.")
    except InvalidLink:
        return page(400, "Invalid link", "This claim link is not valid.")


@router.get("/v1/claims/{token}", dependencies=[Public], response_class=HTMLResponse)
async def confirm_page(request: Request, token: str = Token) -> HTMLResponse:
    """Shows what the link would claim and a button; claims nothing."""
    grant = grant_of(request, token)
    if isinstance(grant, HTMLResponse):
        return grant
    here = html.escape(token)
    turn_down = "".join(
        f"<button type=submit name=reason value={reason} id=reject-{reason}>{label}</button> "
        for reason, label in REASON_LABELS.items()
    )
    form = (
        f"<form method=post action='/v1/claims/{here}'><button type=submit id=claim>Claim this lead</button></form>"
        f"<p>Not for you?</p><form method=post action='/v1/claims/{here}/reject'>{turn_down}</form>"
    )
    return page(200, "Claim this lead?", f"Assignment {grant.assignment_id} for {grant.rep_id}.", form)


LinkAction = Callable[[RouteUnitOfWork, RouteDeps, ClaimGrant], Awaitable[HTMLResponse]]


async def spend_link(request: Request, token: str, act: LinkAction) -> HTMLResponse:
    """A link's one use: marked used and acted on in one transaction."""
    grant = grant_of(request, token)
    if isinstance(grant, HTMLResponse):
        return grant
    deps: RouteDeps = request.app.state.route_deps
    digest = hashlib.sha256(token.encode()).hexdigest()
    async with deps.uow() as uow:
        if not await uow.leads.use_claim_link(digest, grant.assignment_id):
            return page(410, "Link already used", "This claim link has been used already.")
        return await act(uow, deps, grant)


@router.post("/v1/claims/{token}", dependencies=[Public], response_class=HTMLResponse)
async def claim_by_link(request: Request, token: str = Token) -> HTMLResponse:
    """The confirm page's button: claims for the rep the link was sent to, once."""

    async def claim(uow: RouteUnitOfWork, deps: RouteDeps, grant: ClaimGrant) -> HTMLResponse:
        answer = await claim_in(uow, deps.config, grant.assignment_id, grant.rep_id, "link")
        if answer.status == 200:
            return page(200, "Claimed", "The lead is yours. The SLA clock has stopped.")
        error = str(answer.body.get("error", "conflict")).replace("_", " ")
        return page(answer.status, "Not claimed", f"This lead cannot be claimed: {error}.")

    return await spend_link(request, token, claim)


REASON_LABELS: dict[str, str] = {"not_mine": "Not mine", "not_a_fit": "Not a fit", "wrong_territory": "Wrong territory"}


@router.post("/v1/claims/{token}/reject", dependencies=[Public], response_class=HTMLResponse)
async def reject_by_link(request: Request, reason: Annotated[Reason, Form()], token: str = Token) -> HTMLResponse:
    """The confirm page's turn-down buttons: for the rep the link was sent to, once (the link is spent)."""

    async def turn_down(uow: RouteUnitOfWork, deps: RouteDeps, grant: ClaimGrant) -> HTMLResponse:
        answer = await reject_in(uow, deps.config, grant.assignment_id, grant.rep_id, reason, deps.clock())
        if answer.status == 200:
            return page(200, "Passed on", "Thanks: the lead has gone to the next rep.")
        return page(answer.status, "Not passed on", "This lead is no longer yours to turn down.")

    return await spend_link(request, token, turn_down)
