"""An escalation digest's page (the public zone, behind a signed, expiring link): every escalation in
the digest, waiting ones first, each with its own claim link. A GET shows and changes nothing; the
claim itself is route's claim link, confirmed there with a POST."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse

from services.notify import digest_message, digests
from services.notify.digest_sender import DigestLinks
from services.notify.links import ClaimLinks
from shared.claim_links import ExpiredLink, InvalidLink, read_digest_token
from shared.service import Runtime
from shared.zones import Public

router = APIRouter()
Token = Path(max_length=512, pattern=r"^[A-Za-z0-9_.-]+$")
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "X-Robots-Tag": "noindex",
}


def _page(status: int, title: str) -> HTMLResponse:
    return HTMLResponse(digest_message.page_html(title, [], {}), status_code=status, headers=HEADERS)


@router.get("/v1/digests/{token}", dependencies=[Public], response_class=HTMLResponse)
async def digest_page(request: Request, token: Annotated[str, Token]) -> HTMLResponse:
    links: DigestLinks = request.app.state.digest_links
    if links.secret is None:
        return _page(503, "Digest links are not configured on this server")
    try:
        digest_id = read_digest_token(links.secret, token, datetime.now(UTC))
    except ExpiredLink:
        return _page(410, "This digest link has expired")
    except InvalidLink:
        return _page(400, "This digest link is not valid")
    rt: Runtime = request.app.state.runtime
    async with rt.db.session_scope() as session:
        found = await digests.every_item(session, digest_id)
    if found is None:
        return _page(404, "No such digest")
    digest, items = found
    claim_links: ClaimLinks | None = request.app.state.claim_links
    urls = (
        {} if claim_links is None else {str(i.assignment.assignment_id): claim_links.url(i.assignment) for i in items}
    )
    waiting = sum(1 for i in items if i.claimed_by is None)
    title = f"{waiting} of {len(items)} escalations since {digest.window_start:%H:%M} UTC waiting for an owner"
    return HTMLResponse(digest_message.page_html(title, items, urls), headers=HEADERS)
