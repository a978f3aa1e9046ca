"""Slack interactivity: the Claim button (the vendor zone), in an alert, a digest or the App Home.
Slack posts `payload=<json>` form-encoded, signed with `X-Slack-Signature` (checked with slack_sdk's
SignatureVerifier) and must get an answer within 3 seconds. Only the assigned rep's Slack user (or
the pool's manager) can claim: notify maps the clicker to a rep and route decides. Anyone else gets
an ephemeral "assigned to ..." reply and nothing changes. The message (or the Home tab) is then
updated in the background so the answer to Slack is not delayed."""

import logging
import re
from typing import Any
from urllib.parse import parse_qs
from uuid import UUID

import httpx
import orjson
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from services.notify.config import NotifySettings
from services.notify.digest_message import DIGEST_BLOCK
from services.notify.message import CLAIM_ACTION, REJECT_ACTIONS, claimed_blocks, mrkdwn
from services.notify.slack_client import SlackClient, SlackError
from services.notify.slack_desk import publish_home
from services.notify.slack_request import SLACK_ID, background, rep_for_member, verify_slack_request
from shared.business.loader import BusinessConfig
from shared.http_errors import ApiError
from shared.zones import Vendor

log = logging.getLogger(__name__)
router = APIRouter()
CLAIM_VALUE = re.compile(r"^(?P<assignment>[0-9a-f-]{36})\|(?P<rep>[A-Za-z0-9_.-]{1,64})$")


def claim_action(body: bytes) -> tuple[dict[str, Any], UUID, str] | None:
    """The payload, assignment id and assigned rep of a Claim click; None for anything else."""
    found = button_action(body)
    if found is None or found[3] != CLAIM_ACTION:
        return None
    return found[0], found[1], found[2]


def button_action(body: bytes) -> tuple[dict[str, Any], UUID, str, str] | None:
    """The payload, assignment id, assigned rep and action id of a click on one of our buttons (Claim,
    Not mine, Not a fit, Wrong territory); None for anything else."""
    ours = {CLAIM_ACTION, *REJECT_ACTIONS}
    try:
        payload: dict[str, Any] = orjson.loads(parse_qs(body.decode("utf-8"))["payload"][0])
        action = next(a for a in payload.get("actions", []) if a.get("action_id") in ours)
    except (KeyError, IndexError, ValueError, StopIteration, TypeError, AttributeError, orjson.JSONDecodeError):
        return None
    match = CLAIM_VALUE.match(str(action.get("value", "")))
    if match is None:
        raise ApiError.field(422, "invalid_request", "actions.value", "not a claim button of ours")
    try:
        return payload, UUID(match["assignment"]), match["rep"], str(action["action_id"])
    except ValueError as exc:
        raise ApiError.field(422, "invalid_request", "actions.value", "not a claim button of ours") from exc


@router.post("/v1/slack/interactions", dependencies=[Vendor])
async def slack_interactions(request: Request) -> JSONResponse:
    settings: NotifySettings = request.app.state.settings
    body = await request.body()
    verify_slack_request(request, body)
    click = button_action(body)
    if click is None:
        return JSONResponse({"ok": True, "ignored": "not a claim action"})
    payload, assignment_id, assigned_rep, action_id = click
    config: BusinessConfig = request.app.state.live.current.config
    clicker = str((payload.get("user") or {}).get("id", ""))
    channel = (payload.get("channel") or {}).get("id") or (payload.get("container") or {}).get("channel_id")
    channel = channel if isinstance(channel, str) and SLACK_ID.match(channel) else None
    slack: SlackClient = request.app.state.slack
    rep = await rep_for_member(request, config, clicker)
    if rep is None:
        _reply_privately(request, slack, channel, clicker, _assigned_to(config, assigned_rep))
        return JSONResponse({"ok": False, "error": "not_a_rep"})
    http: httpx.AsyncClient = request.app.state.http
    key = settings.route_api_key.get_secret_value() if settings.route_api_key else ""
    if action_id in REJECT_ACTIONS:
        return await _reject(request, http, key, payload, assignment_id, rep.id, action_id, channel, clicker)
    status, result = await _ask_route(request, http, key, f"{assignment_id}/claim", {"rep_id": rep.id, "via": "slack"})
    if status == 200:
        note = f":white_check_mark: Claimed by <@{clicker}> at {str(result.get('claimed_at', ''))[11:16]} UTC"
        if _in_home(payload):
            background(request, publish_home(request, clicker))
        elif _in_digest(payload):
            _reply_privately(request, slack, channel, clicker, f"{note}; the digest shows it shortly.")
        else:
            _note_on_message(request, slack, channel, payload, note)
        return JSONResponse({"ok": True, "claim": result})
    error = str(result.get("error", status))
    if error == "not_assigned_to_rep":
        text = _assigned_to(config, assigned_rep)
    elif error == "already_claimed":
        text = f"Already claimed by {mrkdwn(str(result.get('claimed_by')))}."
    else:
        text = f"Not claimed: {error.replace('_', ' ')}."
    _reply_privately(request, slack, channel, clicker, text)
    return JSONResponse({"ok": False, "claim": result})


async def _reject(
    request: Request,
    http: httpx.AsyncClient,
    key: str,
    payload: dict[str, Any],
    assignment_id: UUID,
    rep_id: str,
    action_id: str,
    channel: str | None,
    clicker: str,
) -> JSONResponse:
    """Not mine / Not a fit / Wrong territory: route moves the lead on at once; the message says so."""
    slack: SlackClient = request.app.state.slack
    reason, label = REJECT_ACTIONS[action_id]
    body = {"rep_id": rep_id, "reason": reason, "via": "slack"}
    status, result = await _ask_route(request, http, key, f"{assignment_id}/reject", body)
    if status == 200:
        note = f":leftwards_arrow_with_hook: Turned down by <@{clicker}> ({label.lower()}); passed on"
        _note_on_message(request, slack, channel, payload, note)
        return JSONResponse({"ok": True, "reject": result})
    _reply_privately(request, slack, channel, clicker, "Not turned down: it is no longer yours to turn down.")
    return JSONResponse({"ok": False, "reject": result})


async def _ask_route(
    request: Request, http: httpx.AsyncClient, key: str, action: str, body: dict[str, str]
) -> tuple[int, dict[str, Any]]:
    """POST route's /v1/assignments/<action> for the clicking rep: (status, answer)."""
    settings: NotifySettings = request.app.state.settings
    response = await http.post(
        f"{settings.route_url.rstrip('/')}/v1/assignments/{action}", json=body, headers={"X-API-Key": key}
    )
    answer: dict[str, Any] = response.json()
    return response.status_code, answer


def _note_on_message(
    request: Request, slack: SlackClient, channel: str | None, payload: dict[str, Any], note: str
) -> None:
    """Replace the clicked message's buttons with what happened, in the background."""
    message = payload.get("message") or {}
    if channel and isinstance(message.get("ts"), str):
        background(request, _update(slack, channel, message, note))


def _in_home(payload: dict[str, Any]) -> bool:
    """A click in the rep's App Home: the Home tab is published again, showing the lead claimed."""
    container = payload.get("container") or {}
    return isinstance(container, dict) and container.get("type") == "view"


def _in_digest(payload: dict[str, Any]) -> bool:
    """A click on one lead of an escalation digest: the digest is refreshed, not stripped of buttons."""
    actions = payload.get("actions") or []
    return any(str(a.get("block_id", "")).startswith(DIGEST_BLOCK) for a in actions if isinstance(a, dict))


def _assigned_to(config: BusinessConfig, rep_id: str) -> str:
    rep = next((r for r in config.reps if r.id == rep_id), None)
    return f"This lead is assigned to {mrkdwn(rep.name if rep else rep_id)}; only they or their manager can claim it."


def _reply_privately(request: Request, slack: SlackClient, channel: str | None, user: str, text: str) -> None:
    if channel and SLACK_ID.match(user):
        background(request, _ephemeral(slack, channel, user, text))


async def _ephemeral(slack: SlackClient, channel: str, user: str, text: str) -> None:
    try:
        await slack.post_ephemeral(channel, user, text)
    except SlackError:
        log.exception("could not send the ephemeral Slack reply")


async def _update(slack: SlackClient, channel: str, message: dict[str, Any], note: str) -> None:
    try:
        blocks = claimed_blocks(message.get("blocks") or [], note)
        await slack.update_message(channel, str(message["ts"]), str(message.get("text", "")), blocks)
    except SlackError:
        log.exception("could not update the claimed Slack message")
