"""A Cloudflare Turnstile and hCaptcha `siteverify` stand-in on 127.0.0.1. Both providers take a
form-encoded POST (`secret`, `response`, optional `remoteip`) and answer JSON
`{"success": bool, "error-codes": [...], "challenge_ts", "hostname"}`. A token is what the widget hands
the visitor's browser: the stand-in issues them on `POST /_standin/tokens`, and each verifies once
(a second use is `timeout-or-duplicate`, as with the real services).

    python -m standins.captcha --port 8095 --secret ...
"""

import argparse
import time
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


def create_app(secret: str) -> FastAPI:
    app = FastAPI(title="captcha stand-in")
    issued: set[str] = set()
    used: set[str] = set()
    requests: list[dict[str, Any]] = []

    def failure(*codes: str) -> JSONResponse:
        return JSONResponse({"success": False, "error-codes": list(codes)})

    async def siteverify(request: Request) -> JSONResponse:
        form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
        requests.append({"at": time.time(), "path": request.url.path, "form": {**form, "secret": "<redacted>"}})
        if not form.get("secret"):
            return failure("missing-input-secret")
        if form["secret"] != secret:
            return failure("invalid-input-secret")
        token = form.get("response")
        if not token:
            return failure("missing-input-response")
        if token in used:
            return failure("timeout-or-duplicate")
        if token not in issued:
            return failure("invalid-input-response")
        used.add(token)
        stamp = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        return JSONResponse({"success": True, "error-codes": [], "challenge_ts": stamp, "hostname": "127.0.0.1"})

    app.add_api_route("/turnstile/v0/siteverify", siteverify, methods=["POST"])
    app.add_api_route("/siteverify", siteverify, methods=["POST"])

    @app.post("/_standin/tokens")
    async def issue() -> dict[str, str]:
        token = f"XXXX.STANDIN.{uuid.uuid4().hex}"
        issued.add(token)
        return {"token": token}

    @app.get("/_standin/requests")
    async def list_requests() -> list[dict[str, Any]]:
        return requests

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description="captcha siteverify stand-in")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8095)
    parser.add_argument("--secret", required=True)
    args = parser.parse_args()
    uvicorn.run(create_app(args.secret), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
