"""`GET /v1/records/<token>`: the alert's "Open in HubSpot / Salesforce" link (the public zone, behind
a signed, expiring token naming the assignment and the CRM). It redirects to the record the
write-back made; until the write-back is done it says so (404, Retry-After). It changes nothing."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import text

from services.notify.channels.base import Channel
from services.notify.digest_page import HEADERS
from services.notify.digest_sender import DigestLinks
from shared.claim_links import ExpiredLink, InvalidLink, read_record_token
from shared.service import Runtime
from shared.zones import Public

router = APIRouter()
Token = Path(max_length=512, pattern=r"^[A-Za-z0-9_.-]+$")


def _page(status: int, message: str, retry: bool = False) -> HTMLResponse:
    body = f"<!doctype html><meta charset=utf-8><title>leadrelay</title><p>{message}</p>"
    headers = {**HEADERS, **({"Retry-After": "5"} if retry else {})}
    return HTMLResponse(body, status_code=status, headers=headers)


@router.get("/v1/records/{token}", dependencies=[Public], response_model=None)
async def record_link(request: Request, token: Annotated[str, Token]) -> Response:
    links: DigestLinks = request.app.state.digest_links
    if links.secret is None:
        return _page(503, "Record links are not configured on this server.")
    try:
        assignment_id, channel_name = read_record_token(links.secret, token, datetime.now(UTC))
    except ExpiredLink:
        return _page(410, "This link has expired.")
    except InvalidLink:
        return _page(400, "This link is not valid.")
    channels: dict[str, Channel] = request.app.state.channels
    channel = channels.get(channel_name)
    record_url = getattr(channel, "record_url", None)
    if record_url is None:
        return _page(404, "This CRM is not connected.")
    rt: Runtime = request.app.state.runtime
    async with rt.db.session_scope() as session:
        external_id = (
            await session.execute(
                text(
                    "SELECT external_id FROM notify.deliveries WHERE assignment_id = :a AND channel = :c"
                    " AND status = 'sent'"
                ),
                {"a": assignment_id, "c": channel_name},
            )
        ).scalar_one_or_none()
    if external_id is None:
        return _page(404, "The lead is still being written to the CRM; try again in a moment.", retry=True)
    url = await record_url(str(external_id))
    if url is None:
        return _page(404, f"The lead is record {external_id} in the CRM (no link is configured).")
    return RedirectResponse(
        url, status_code=302, headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
    )
