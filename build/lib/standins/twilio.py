"""A Twilio Programmable Messaging stand-in: POST /2010-04-01/Accounts/{sid}/Messages.json with basic
auth and form fields, answered as Twilio does (201 + message JSON; 401 / 400 errors with Twilio's
error codes), then status callbacks (sent, delivered) posted to StatusCallback, signed with
X-Twilio-Signature like Twilio signs them. Records every message.

    python -m standins.twilio --port 8098 --account-sid AC... --auth-token ..."""

import argparse
import asyncio
import base64
import hashlib
import hmac
import time
import uuid
from typing import Any
from urllib.parse import parse_qsl

import httpx
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


def sign_callback(auth_token: str, url: str, params: dict[str, str]) -> str:
    """X-Twilio-Signature as Twilio documents it: the full URL, then each POST parameter's name and
    value in name order, HMAC-SHA1 under the auth token, base64. The stand-in's own implementation."""
    signed = url + "".join(f"{name}{params[name]}" for name in sorted(params))
    digest = hmac.new(auth_token.encode("utf-8"), signed.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def create_app(account_sid: str, auth_token: str) -> FastAPI:
    app = FastAPI(title="Twilio stand-in")
    messages: list[dict[str, Any]] = []
    callbacks: list[dict[str, Any]] = []
    background: set[asyncio.Task[None]] = set()

    def error(status: int, code: int, message: str) -> JSONResponse:
        return JSONResponse(
            {
                "code": code,
                "message": message,
                "more_info": f"https://www.twilio.com/docs/errors/{code}",
                "status": status,
            },
            status_code=status,
        )

    def authorised(sid: str, request: Request) -> bool:
        """HTTP basic auth with the account SID and auth token, on that account's URL."""
        expected = "Basic " + base64.b64encode(f"{account_sid}:{auth_token}".encode()).decode()
        return sid == account_sid and request.headers.get("authorization", "") == expected

    async def report_status(url: str, sid: str, to: str, sender: str) -> None:
        async with httpx.AsyncClient(timeout=5) as http:
            for status in ("sent", "delivered"):
                await asyncio.sleep(0.05)
                params = {
                    "AccountSid": account_sid,
                    "MessageSid": sid,
                    "SmsSid": sid,
                    "MessageStatus": status,
                    "SmsStatus": status,
                    "To": to,
                    "From": sender,
                    "ApiVersion": "2010-04-01",
                }
                headers = {"X-Twilio-Signature": sign_callback(auth_token, url, params)}
                try:
                    answer = await http.post(url, data=params, headers=headers)
                    callbacks.append({"sid": sid, "status": status, "answer": answer.status_code})
                except httpx.HTTPError as exc:
                    callbacks.append({"sid": sid, "status": status, "error": repr(exc)})

    @app.post("/2010-04-01/Accounts/{sid}/Messages.json")
    async def create_message(sid: str, request: Request) -> JSONResponse:
        if not authorised(sid, request):
            return error(401, 20003, "Authenticate")
        form = dict(parse_qsl((await request.body()).decode()))
        if not form.get("To", "").startswith("+"):
            return error(400, 21211, f"The 'To' number {form.get('To')} is not a valid phone number.")
        if not form.get("Body"):
            return error(400, 21602, "Message body is required.")
        message_sid = f"SM{uuid.uuid4().hex}"
        entry = {"sid": message_sid, "received_at": time.time(), "form": form}
        messages.append(entry)
        if callback := form.get("StatusCallback"):
            task = asyncio.create_task(report_status(callback, message_sid, form["To"], form.get("From", "")))
            background.add(task)
            task.add_done_callback(background.discard)
        return JSONResponse(
            {
                "sid": message_sid,
                "account_sid": account_sid,
                "to": form["To"],
                "from": form.get("From"),
                "body": form["Body"],
                "status": "queued",
                "num_segments": "1",
                "direction": "outbound-api",
                "api_version": "2010-04-01",
                "uri": f"/2010-04-01/Accounts/{account_sid}/Messages/{message_sid}.json",
            },
            status_code=201,
        )

    @app.get("/2010-04-01/Accounts/{sid}/Messages.json")
    async def list_messages_api(sid: str, request: Request) -> JSONResponse:
        """Twilio's message list: newest first, filtered by To and DateSent> (a date)."""
        if not authorised(sid, request):
            return error(401, 20003, "Authenticate")
        to = request.query_params.get("To")
        after = request.query_params.get("DateSent>")
        since = time.mktime(time.strptime(after, "%Y-%m-%d")) if after else 0
        found = [
            {"sid": m["sid"], "to": m["form"]["To"], "body": m["form"]["Body"], "status": "delivered"}
            for m in reversed(messages)
            if (to is None or m["form"]["To"] == to) and m["received_at"] >= since
        ]
        return JSONResponse({"messages": found, "page": 0, "page_size": len(found)})

    @app.get("/_standin/messages")
    async def list_messages() -> list[dict[str, Any]]:
        return messages

    @app.get("/_standin/callbacks")
    async def list_callbacks() -> list[dict[str, Any]]:
        return callbacks

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description="Twilio stand-in")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8098)
    parser.add_argument("--account-sid", required=True)
    parser.add_argument("--auth-token", required=True)
    args = parser.parse_args()
    uvicorn.run(create_app(args.account_sid, args.auth_token), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
