"""Rep self-service in Slack (the vendor zone: Slack's signature on the raw body, checked first).

- `POST /v1/slack/commands`: the `/leadrelay` slash command (form-encoded, as Slack sends it):
  `away [until]`, `back`, `status`, `mine`, `help`, answered privately (`ephemeral`) within Slack's 3 s.
- `POST /v1/slack/events`: the Events API. `url_verification` gets its challenge back;
  `app_home_opened` (Home tab) publishes the rep's open leads with Claim buttons and SLA clocks
  (views.publish, in the background: Slack wants the 200 at once).

The Slack user is mapped to a rep exactly as a button click is (services/notify/interactions.py);
whoever is not a rep gets a polite refusal and nothing changes. route does the work through the
rep's desk API (services/route/desk_api.py) with notify's `claim` key."""

import logging
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

import httpx
import orjson
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from services.notify.config import NotifySettings
from services.notify.rep_desk import HELP, CommandError, home_blocks, mine_text, parse_command, status_text
from services.notify.slack_client import SlackClient, SlackError
from services.notify.slack_request import SLACK_ID, background, rep_for_member, verify_slack_request
from shared.business.reps import Rep
from shared.http_errors import ApiError
from shared.zones import Vendor

log = logging.getLogger(__name__)
router = APIRouter()


async def route_desk(request: Request, method: str, rep_id: str, action: str, body: Any = None) -> tuple[int, Any]:
    settings: NotifySettings = request.app.state.settings
    http: httpx.AsyncClient = request.app.state.http
    key = settings.route_api_key.get_secret_value() if settings.route_api_key else ""
    url = f"{settings.route_url.rstrip('/')}/v1/reps/{rep_id}/{action}"
    response = await http.request(method, url, json=body, headers={"X-API-Key": key})
    return response.status_code, response.json()


def _say(text: str) -> JSONResponse:
    return JSONResponse({"response_type": "ephemeral", "text": text})


@router.post("/v1/slack/commands", dependencies=[Vendor])
async def slash_command(request: Request) -> JSONResponse:
    body = await request.body()
    verify_slack_request(request, body)
    try:
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8"), max_num_fields=30).items()}
    except (UnicodeDecodeError, ValueError) as exc:
        raise ApiError.field(422, "invalid_request", "body", "not a Slack slash command") from exc
    user, text = form.get("user_id", ""), form.get("text", "")[:200]
    if not SLACK_ID.match(user):
        raise ApiError.field(422, "invalid_request", "user_id", "not a Slack user id")
    rep = await rep_for_member(request, request.app.state.live.current.config, user)
    if rep is None:
        return _say("You are not a rep in leadrelay, so there is nothing to change for you.")
    try:
        command = parse_command(text, datetime.now(UTC), rep.timezone)
    except CommandError as exc:
        return _say(str(exc))
    try:
        return _say(await _run(request, rep, command.verb, command.until))
    except (httpx.HTTPError, ValueError) as exc:
        log.warning("route did not answer /leadrelay %s for %s: %r", command.verb, rep.id, exc)
        return _say("leadrelay cannot reach routing just now; nothing changed. Try again in a minute.")


async def _run(request: Request, rep: Rep, verb: str, until: datetime | None) -> str:
    if verb == "away":
        body = {"until": until.isoformat() if until else None, "via": "slack"}
        status, answer = await route_desk(request, "POST", rep.id, "away", body)
        if status != 200:
            return f"Not changed: {_first_error(answer)}"
        when = f" until {until:%a %d %b %H:%M} ({rep.timezone})" if until else " until you say `/leadrelay back`"
        return f"You are off the queue{when}. New leads go to the others in your pools."
    if verb == "back":
        status, answer = await route_desk(request, "POST", rep.id, "back", {"via": "slack"})
        return "Welcome back: you are on the queue again." if status == 200 else f"Not changed: {_first_error(answer)}"
    if verb in ("status", "mine"):
        status, desk = await route_desk(request, "GET", rep.id, "desk")
        if status != 200:
            return f"Cannot tell just now: {_first_error(desk)}"
        return status_text(desk) if verb == "status" else mine_text(desk, rep.timezone)
    return HELP


def _first_error(answer: Any) -> str:
    fields = answer.get("fields") if isinstance(answer, dict) else None
    return str(fields[0]["message"]) if fields else str(answer)[:200]


@router.post("/v1/slack/events", dependencies=[Vendor])
async def events(request: Request) -> JSONResponse:
    body = await request.body()
    verify_slack_request(request, body)
    try:
        envelope = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ApiError.field(422, "invalid_request", "body", "not JSON") from exc
    if not isinstance(envelope, dict):
        raise ApiError.field(422, "invalid_request", "body", "not a Slack event")
    if envelope.get("type") == "url_verification":
        return JSONResponse({"challenge": str(envelope.get("challenge", ""))[:200]})
    event = envelope.get("event")
    if envelope.get("type") != "event_callback" or not isinstance(event, dict):
        return JSONResponse({"ok": True, "ignored": "not an event we subscribe to"})
    user = str(event.get("user", ""))
    if event.get("type") == "app_home_opened" and event.get("tab", "home") == "home" and SLACK_ID.match(user):
        background(request, publish_home(request, user))
        return JSONResponse({"ok": True})
    return JSONResponse({"ok": True, "ignored": str(event.get("type"))[:40]})


async def publish_home(request: Request, user: str) -> None:
    """The member's Home tab: their open leads if they are a rep, else a line saying this app is for reps."""
    slack: SlackClient = request.app.state.slack
    try:
        rep = await rep_for_member(request, request.app.state.live.current.config, user)
        if rep is None:
            text = {"type": "mrkdwn", "text": "leadrelay alerts sales reps to new leads; you are not one of its reps."}
            await slack.publish_home(user, [{"type": "section", "text": text}])
            return
        status, desk = await route_desk(request, "GET", rep.id, "desk")
        if status != 200:
            log.warning("no desk for rep %s from route (%s)", rep.id, status)
            return
        await slack.publish_home(user, home_blocks(desk, rep.timezone))
    except (SlackError, httpx.HTTPError, ValueError) as exc:
        log.warning("could not publish the App Home of %s: %r", user, exc)
