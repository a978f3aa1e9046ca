"""A Slack Web API stand-in: accepts chat.postMessage exactly as Slack does (bearer token, JSON or
form body, `{"ok": ..., "channel": ..., "ts": ...}` answers) and records every message it accepted.

    python -m standins.slack --port 8099 --record .local/run/slack-messages.jsonl

GET /_standin/messages lists what it received; POST /_standin/faults queues 429s or 5xxs so tests
can exercise the client's retry rules against real HTTP."""

import argparse
import itertools
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import orjson
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel


class Faults(BaseModel):
    rate_limited: int = 0
    retry_after: int = 1
    server_errors: int = 0


def create_app(record: Path | None = None) -> FastAPI:
    app = FastAPI(title="Slack stand-in")
    messages: list[dict[str, Any]] = []
    faults = Faults()
    seq = itertools.count(1)

    async def read_body(request: Request) -> dict[str, Any]:
        raw = await request.body()
        if request.headers.get("content-type", "").startswith("application/json"):
            data = orjson.loads(raw or b"{}")
            return data if isinstance(data, dict) else {}
        form = dict(parse_qsl(raw.decode()))
        if "blocks" in form:
            form["blocks"] = orjson.loads(form["blocks"])
        return form

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
        auth = request.headers.get("authorization", "")
        body = await read_body(request)
        token = auth.removeprefix("Bearer ").strip() or str(body.get("token", ""))
        if not token:
            return JSONResponse({"ok": False, "error": "not_authed"})
        if not token.startswith("xox"):
            return JSONResponse({"ok": False, "error": "invalid_auth"})
        channel = str(body.get("channel", ""))
        if not channel:
            return JSONResponse({"ok": False, "error": "channel_not_found"})
        if not body.get("text") and not body.get("blocks"):
            return JSONResponse({"ok": False, "error": "no_text"})
        ts = f"{int(time.time())}.{next(seq):06d}"
        entry = {"received_at": time.time(), "channel": channel, "ts": ts, "body": body}
        messages.append(entry)
        if record is not None:
            with record.open("ab") as f:
                f.write(orjson.dumps(entry) + b"\n")
        message = {"type": "message", "text": body.get("text", ""), "ts": ts, "bot_id": "B0STANDIN"}
        return JSONResponse({"ok": True, "channel": channel, "ts": ts, "message": message})

    @app.get("/_standin/messages")
    async def list_messages() -> list[dict[str, Any]]:
        return messages

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
    args = parser.parse_args()
    uvicorn.run(create_app(args.record), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
