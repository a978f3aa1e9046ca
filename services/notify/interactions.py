"""Slack interactivity: the Claim button. Slack posts `payload=<json>` form-encoded, signed with
`X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:<timestamp>:<body>">` and must get an answer within
3 seconds. The claim itself is recorded by route (first claim wins); the message is then updated to
show who claimed, in the background so the answer to Slack is not delayed."""

import asyncio
import hashlib
import hmac
import logging
import time
from typing import Any
from urllib.parse import parse_qs

import httpx
import orjson
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from services.notify.config import NotifySettings
from services.notify.message import CLAIM_ACTION, claimed_blocks
from services.notify.slack_client import SlackClient, SlackError
from shared.http_errors import invalid

log = logging.getLogger(__name__)
router = APIRouter()
TOLERANCE_SECONDS = 300


def slack_signature_ok(secret: str, timestamp: str | None, signature: str | None, body: bytes, now: float) -> bool:
    if not timestamp or not signature or not timestamp.isdigit() or abs(now - int(timestamp)) > TOLERANCE_SECONDS:
        return False
    base = b"v0:" + timestamp.encode() + b":" + body
    expected = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


@router.post("/v1/slack/interactions")
async def slack_interactions(request: Request) -> JSONResponse:
    settings: NotifySettings = request.app.state.settings
    body = await request.body()
    if settings.slack_signing_secret is None:
        return invalid(
            [{"field": "X-Slack-Signature", "message": "Slack signing secret not configured"}], "unavailable", 503
        )
    ok = slack_signature_ok(
        settings.slack_signing_secret.get_secret_value(),
        request.headers.get("x-slack-request-timestamp"),
        request.headers.get("x-slack-signature"),
        body,
        time.time(),
    )
    if not ok:
        return invalid([{"field": "X-Slack-Signature", "message": "bad or stale signature"}], "invalid_signature", 401)
    try:
        payload: dict[str, Any] = orjson.loads(parse_qs(body.decode())["payload"][0])
        action = next(a for a in payload.get("actions", []) if a.get("action_id") == CLAIM_ACTION)
        assignment_id, rep_id = str(action["value"]).split("|", 1)
    except (KeyError, IndexError, ValueError, StopIteration, orjson.JSONDecodeError):
        return JSONResponse({"ok": True, "ignored": "not a claim action"})
    http: httpx.AsyncClient = request.app.state.http
    response = await http.post(
        f"{settings.route_url.rstrip('/')}/v1/assignments/{assignment_id}/claim",
        json={"rep_id": rep_id, "via": "slack"},
    )
    result = response.json()
    clicker = (payload.get("user") or {}).get("id", "someone")
    if response.status_code == 200:
        note = f":white_check_mark: Claimed by <@{clicker}> at {result.get('claimed_at', '')[11:16]} UTC"
    else:
        note = f":no_entry: Not claimed: {str(result.get('error', response.status_code)).replace('_', ' ')}"
    channel = (payload.get("channel") or {}).get("id") or (payload.get("container") or {}).get("channel_id")
    message = payload.get("message") or {}
    slack: SlackClient = request.app.state.slack
    if channel and message.get("ts"):
        task = asyncio.create_task(_update(slack, channel, message, note))
        request.app.state.background.add(task)
        task.add_done_callback(request.app.state.background.discard)
    return JSONResponse({"ok": response.status_code == 200, "claim": result})


async def _update(slack: SlackClient, channel: str, message: dict[str, Any], note: str) -> None:
    try:
        blocks = claimed_blocks(message.get("blocks") or [], note)
        await slack.update_message(channel, str(message["ts"]), str(message.get("text", "")), blocks)
    except SlackError:
        log.exception("could not update the claimed Slack message")
