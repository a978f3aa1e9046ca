"""A Slack Web API stand-in: accepts chat.postMessage exactly as Slack does (bearer token, JSON or
form body, `{"ok": ..., "channel": ..., "ts": ...}` answers) and records every message it accepted.

    python -m standins.slack --port 8099 --record .local/run/slack-messages.jsonl

GET /_standin/messages lists what it received (with any chat.update applied); POST /_standin/faults
queues 429s or 5xxs so tests can exercise the client's retry rules against real HTTP; POST
/_standin/click presses a button in a message the way a user would: Slack's block_actions payload,
signed with the signing secret, posted to the app's interactivity URL (or in a member's Home tab,
with `home_of`). POST /_standin/users adds workspace members, whom users.lookupByEmail and
users.info answer for as Slack does. views.publish stores each member's Home tab (GET
/_standin/views); POST /_standin/command runs a slash command as a member types it (Slack's
form-encoded payload, signed, to the app's command URL) and POST /_standin/open_home opens a
member's Home tab (an `app_home_opened` event_callback, signed, to the app's events URL)."""

import argparse
import asyncio
import hashlib
import hmac
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx
import orjson
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel


class Click(BaseModel):
    ts: str | None = None
    home_of: str | None = None
    """A button in this member's Home tab instead of in the message `ts`."""
    user_id: str
    action_id: str = "claim"
    value: str | None = None
    """Which button, when a message has several with the same action (a digest's Claim buttons)."""


class Command(BaseModel):
    user_id: str
    text: str = ""
    command: str = "/leadrelay"


class OpenHome(BaseModel):
    user_id: str


class Faults(BaseModel):
    rate_limited: int = 0
    retry_after: int = 1
    server_errors: int = 0


def sign(secret: str, body: bytes) -> dict[str, str]:
    """Slack's request signing: v0=HMAC-SHA256(secret, "v0:<timestamp>:<body>")."""
    stamp = str(int(time.time()))
    digest = hmac.new(secret.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}"}


def create_app(
    record: Path | None = None,
    signing_secret: str | None = None,
    interactions_url: str | None = None,
    reply_delay: float = 0.0,
    commands_url: str | None = None,
    events_url: str | None = None,
) -> FastAPI:
    """`reply_delay` holds each chat.postMessage answer after the message is recorded, the way a slow
    Slack does: a client that dies in that gap has sent a message it never heard about. The command
    and events URLs default to the interactivity URL's siblings (`.../commands`, `.../events`), as
    the shipped manifest (deploy/slack/manifest.yaml) sets them."""
    if interactions_url is not None:
        base = interactions_url.rsplit("/", 1)[0]
        commands_url = commands_url or f"{base}/commands"
        events_url = events_url or f"{base}/events"
    app = FastAPI(title="Slack stand-in")
    messages: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    ephemerals: list[dict[str, Any]] = []
    users: dict[str, dict[str, Any]] = {}
    lookups: list[dict[str, Any]] = []
    views: dict[str, dict[str, Any]] = {}
    faults = Faults()

    async def read_body(request: Request) -> dict[str, Any]:
        raw = await request.body()
        if request.headers.get("content-type", "").startswith("application/json"):
            data = orjson.loads(raw or b"{}")
            return data if isinstance(data, dict) else {}
        form = dict(parse_qsl(raw.decode()))
        if "blocks" in form:
            form["blocks"] = orjson.loads(form["blocks"])
        return form

    def authorised(request: Request, body: dict[str, Any]) -> str | None:
        """Slack's auth errors: None when the token is acceptable, else the error code."""
        token = request.headers.get("authorization", "").removeprefix("Bearer ").strip() or str(body.get("token", ""))
        if not token:
            return "not_authed"
        return None if token.startswith("xox") else "invalid_auth"

    @app.post("/api/chat.update")
    async def update(request: Request) -> JSONResponse:
        body = await read_body(request)
        if (error := authorised(request, body)) is not None:
            return JSONResponse({"ok": False, "error": error})
        target = next((m for m in messages if m["ts"] == body.get("ts") and m["channel"] == body.get("channel")), None)
        if target is None:
            return JSONResponse({"ok": False, "error": "message_not_found"})
        target["body"] = {**target["body"], "text": body.get("text", ""), "blocks": body.get("blocks", [])}
        updates.append({"received_at": time.time(), "channel": target["channel"], "ts": target["ts"], "body": body})
        return JSONResponse({"ok": True, "channel": target["channel"], "ts": target["ts"], "text": body.get("text")})

    @app.post("/api/chat.postEphemeral")
    async def post_ephemeral(request: Request) -> JSONResponse:
        body = await read_body(request)
        if (error := authorised(request, body)) is not None:
            return JSONResponse({"ok": False, "error": error})
        if not body.get("channel") or not body.get("user"):
            return JSONResponse({"ok": False, "error": "invalid_arguments"})
        ephemerals.append({"received_at": time.time(), "channel": body["channel"], "user": body["user"], "body": body})
        return JSONResponse({"ok": True, "message_ts": f"{time.time():.6f}"})

    def user_object(member: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": member["id"],
            "team_id": "T0STANDIN",
            "name": member["email"].split("@")[0],
            "deleted": False,
            "is_bot": False,
            "profile": {"email": member["email"], "real_name": member.get("name", ""), "display_name": ""},
        }

    @app.api_route("/api/users.lookupByEmail", methods=["GET", "POST"])
    async def lookup_by_email(request: Request) -> JSONResponse:
        """Slack's users.lookupByEmail (scope users:read.email): `users_not_found` for an unknown email."""
        body = dict(request.query_params) | await read_body(request)
        if (error := authorised(request, body)) is not None:
            return JSONResponse({"ok": False, "error": error})
        email = str(body.get("email", "")).strip().lower()
        lookups.append({"at": time.time(), "method": "users.lookupByEmail", "email": email})
        if not email:
            return JSONResponse({"ok": False, "error": "invalid_arguments"})
        member = next((u for u in users.values() if u["email"].lower() == email), None)
        if member is None:
            return JSONResponse({"ok": False, "error": "users_not_found"})
        return JSONResponse({"ok": True, "user": user_object(member)})

    @app.api_route("/api/users.info", methods=["GET", "POST"])
    async def users_info(request: Request) -> JSONResponse:
        body = dict(request.query_params) | await read_body(request)
        if (error := authorised(request, body)) is not None:
            return JSONResponse({"ok": False, "error": error})
        lookups.append({"at": time.time(), "method": "users.info", "user": body.get("user")})
        member = users.get(str(body.get("user", "")))
        if member is None:
            return JSONResponse({"ok": False, "error": "user_not_found"})
        return JSONResponse({"ok": True, "user": user_object(member)})

    @app.post("/_standin/users")
    async def add_users(request: Request) -> list[dict[str, Any]]:
        """Workspace members: [{id, email, name}]."""
        for member in orjson.loads(await request.body()):
            users[str(member["id"])] = {
                "id": str(member["id"]),
                "email": str(member["email"]),
                "name": member.get("name"),
            }
        return list(users.values())

    @app.get("/_standin/lookups")
    async def list_lookups() -> list[dict[str, Any]]:
        return lookups

    @app.get("/_standin/ephemerals")
    async def list_ephemerals() -> list[dict[str, Any]]:
        return ephemerals

    @app.post("/api/conversations.open")
    async def conversations_open(request: Request) -> JSONResponse:
        body = await read_body(request)
        if (error := authorised(request, body)) is not None:
            return JSONResponse({"ok": False, "error": error})
        users = str(body.get("users", ""))
        if not users:
            return JSONResponse({"ok": False, "error": "users_list_not_supplied"})
        return JSONResponse({"ok": True, "channel": {"id": users}})

    @app.post("/api/conversations.history")
    async def conversations_history(request: Request) -> JSONResponse:
        """Newest first, as Slack returns them; metadata only with include_all_metadata."""
        body = await read_body(request)
        if (error := authorised(request, body)) is not None:
            return JSONResponse({"ok": False, "error": error})
        channel, oldest = str(body.get("channel", "")), float(body.get("oldest", 0) or 0)
        with_meta = str(body.get("include_all_metadata", "")).lower() == "true"
        found = []
        for m in reversed(messages):
            if m["channel"] == channel and float(m["ts"]) >= oldest:
                entry = {"type": "message", "ts": m["ts"], "text": m["body"].get("text", "")}
                if with_meta and m["body"].get("metadata"):
                    entry["metadata"] = m["body"]["metadata"]
                found.append(entry)
        return JSONResponse({"ok": True, "messages": found[: int(body.get("limit", 100))], "has_more": False})

    @app.get("/_standin/updates")
    async def list_updates() -> list[dict[str, Any]]:
        return updates

    @app.post("/_standin/click")
    async def click(request: Click) -> JSONResponse:
        if signing_secret is None or interactions_url is None:
            return JSONResponse({"error": "start the stand-in with --signing-secret and --interactions-url"}, 400)
        where: dict[str, Any]
        if request.home_of is not None:
            home = views.get(request.home_of)
            if home is None:
                return JSONResponse({"error": "no Home tab published for that member"}, 404)
            blocks = home.get("blocks", [])
            where = {"container": {"type": "view", "view_id": home["id"]}, "view": home}
        else:
            message = next((m for m in messages if m["ts"] == request.ts), None)
            if message is None:
                return JSONResponse({"error": "no message with that ts"}, 404)
            blocks = message["body"].get("blocks", [])
            where = {
                "container": {"type": "message", "message_ts": message["ts"], "channel_id": message["channel"]},
                "channel": {"id": message["channel"], "name": "directmessage"},
                "message": {
                    "type": "message",
                    "ts": message["ts"],
                    "text": message["body"].get("text", ""),
                    "blocks": blocks,
                },
                "response_url": f"https://hooks.slack.invalid/actions/{uuid.uuid4().hex}",
            }
        buttons = [
            (b.get("block_id", ""), e)
            for b in blocks
            for e in (b.get("elements", []) if b.get("type") == "actions" else [b.get("accessory") or {}])
        ]
        block_id, button = next(
            (
                (block, e)
                for block, e in buttons
                if e.get("action_id") == request.action_id and request.value in (None, e.get("value"))
            ),
            ("", None),
        )
        if button is None:
            return JSONResponse({"error": "no such button there (already claimed?)"}, 409)
        payload = {
            "type": "block_actions",
            "user": {"id": request.user_id, "username": request.user_id.lower(), "team_id": "T0STANDIN"},
            "api_app_id": "A0STANDIN",
            "token": "standin-verification-token",
            "trigger_id": f"{int(time.time())}.{uuid.uuid4().hex[:10]}",
            "team": {"id": "T0STANDIN", "domain": "standin"},
            **where,
            "actions": [{**button, "block_id": block_id or "claim", "action_ts": f"{time.time():.6f}"}],
        }
        form = urlencode({"payload": orjson.dumps(payload).decode()}).encode()
        started = time.perf_counter()
        async with httpx.AsyncClient(timeout=10) as http:
            answer = await http.post(
                interactions_url,
                content=form,
                headers={"Content-Type": "application/x-www-form-urlencoded", **sign(signing_secret, form)},
            )
        elapsed_ms = (time.perf_counter() - started) * 1000
        return JSONResponse({"status": answer.status_code, "body": answer.json(), "elapsed_ms": elapsed_ms})

    @app.post("/api/views.publish")
    async def views_publish(request: Request) -> JSONResponse:
        """Slack's views.publish: `view` a JSON object (or JSON-encoded string in a form body) of
        type `home`; the member's Home tab is replaced."""
        body = await read_body(request)
        if (error := authorised(request, body)) is not None:
            return JSONResponse({"ok": False, "error": error})
        view = body.get("view")
        if isinstance(view, str):
            view = orjson.loads(view)
        user = str(body.get("user_id", ""))
        if not user or not isinstance(view, dict):
            return JSONResponse({"ok": False, "error": "invalid_arguments"})
        if view.get("type") != "home" or not isinstance(view.get("blocks"), list) or len(view["blocks"]) > 100:
            return JSONResponse({"ok": False, "error": "invalid_arguments"})
        stored = {**view, "id": views.get(user, {}).get("id") or f"V{uuid.uuid4().hex[:10].upper()}"}
        stored["hash"] = f"{time.time():.6f}"
        views[user] = stored
        return JSONResponse({"ok": True, "view": stored})

    @app.get("/_standin/views")
    async def list_views() -> dict[str, dict[str, Any]]:
        return views

    async def signed_post(url: str | None, body: bytes, content_type: str) -> JSONResponse:
        if signing_secret is None or url is None:
            return JSONResponse({"error": "start the stand-in with --signing-secret and --interactions-url"}, 400)
        async with httpx.AsyncClient(timeout=10) as http:
            answer = await http.post(
                url, content=body, headers={"Content-Type": content_type, **sign(signing_secret, body)}
            )
        try:
            shown: Any = answer.json()
        except ValueError:
            shown = answer.text
        return JSONResponse({"status": answer.status_code, "body": shown})

    @app.post("/_standin/command")
    async def run_command(request: Command) -> JSONResponse:
        """A member types `/leadrelay <text>`: Slack's slash-command form, as it documents it."""
        form = {
            "token": "standin-verification-token",
            "team_id": "T0STANDIN",
            "team_domain": "standin",
            "channel_id": "D0STANDIN",
            "channel_name": "directmessage",
            "user_id": request.user_id,
            "user_name": request.user_id.lower(),
            "command": request.command,
            "text": request.text,
            "api_app_id": "A0STANDIN",
            "is_enterprise_install": "false",
            "response_url": f"https://hooks.slack.invalid/commands/{uuid.uuid4().hex}",
            "trigger_id": f"{int(time.time())}.{uuid.uuid4().hex[:10]}",
        }
        return await signed_post(commands_url, urlencode(form).encode(), "application/x-www-form-urlencoded")

    @app.post("/_standin/open_home")
    async def open_home(request: OpenHome) -> JSONResponse:
        """A member opens the app's Home tab: the app_home_opened event, in its event_callback."""
        event: dict[str, Any] = {
            "type": "app_home_opened",
            "user": request.user_id,
            "channel": "D0STANDIN",
            "tab": "home",
            "event_ts": f"{time.time():.6f}",
        }
        if request.user_id in views:
            event["view"] = views[request.user_id]
        envelope = {
            "token": "standin-verification-token",
            "team_id": "T0STANDIN",
            "api_app_id": "A0STANDIN",
            "event": event,
            "type": "event_callback",
            "event_id": f"Ev{uuid.uuid4().hex[:10].upper()}",
            "event_time": int(time.time()),
        }
        return await signed_post(events_url, orjson.dumps(envelope), "application/json")

    @app.post("/api/chat.postMessage")
    async def post_message(request: Request) -> JSONResponse:
        nonlocal faults
        if faults.rate_limited > 0:
            faults = faults.model_copy(update={"rate_limited": faults.rate_limited - 1})
            return JSONResponse(
                {"ok": False, "error": "ratelimited"},
                status_code=429,
                headers={"Retry-After": str(faults.retry_after)},
            )
        if faults.server_errors > 0:
            faults = faults.model_copy(update={"server_errors": faults.server_errors - 1})
            return JSONResponse({"ok": False, "error": "internal_error"}, status_code=500)
        body = await read_body(request)
        if (error := authorised(request, body)) is not None:
            return JSONResponse({"ok": False, "error": error})
        channel = str(body.get("channel", ""))
        if not channel:
            return JSONResponse({"ok": False, "error": "channel_not_found"})
        if not body.get("text") and not body.get("blocks"):
            return JSONResponse({"ok": False, "error": "no_text"})
        ts = f"{time.time():.6f}"
        entry = {"received_at": time.time(), "channel": channel, "ts": ts, "body": body}
        messages.append(entry)
        if record is not None:
            with record.open("ab") as f:
                f.write(orjson.dumps(entry) + b"\n")
        message = {"type": "message", "text": body.get("text", ""), "ts": ts, "bot_id": "B0STANDIN"}
        if reply_delay:
            await asyncio.sleep(reply_delay)
        return JSONResponse({"ok": True, "channel": channel, "ts": ts, "message": message})

    @app.get("/_standin/messages")
    async def list_messages(offset: int = 0) -> list[dict[str, Any]]:
        """Every message received, oldest first; `offset` skips the first N (benchmarks read in pages)."""
        return messages[max(offset, 0) :]

    @app.post("/_standin/faults")
    async def set_faults(new: Faults) -> Faults:
        nonlocal faults
        faults = new
        return faults

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8099)
    parser.add_argument("--record", type=Path, default=None)
    parser.add_argument("--signing-secret", default=None, help="signs button clicks like Slack does")
    parser.add_argument("--interactions-url", default=None, help="the app's interactivity request URL")
    parser.add_argument("--reply-delay-ms", type=float, default=0.0, help="answer postMessage this much later")
    parser.add_argument("--commands-url", default=None, help="the slash command's request URL")
    parser.add_argument("--events-url", default=None, help="the Events API request URL")
    args = parser.parse_args()
    app = create_app(
        args.record,
        args.signing_secret,
        args.interactions_url,
        args.reply_delay_ms / 1000,
        args.commands_url,
        args.events_url,
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
