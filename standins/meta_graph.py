"""A Meta Graph API stand-in for Lead Ads: GET /<version>/<leadgen_id> with the page token (as
`Authorization: Bearer` or ?access_token=) answers as Graph does: by default only `id`,
`created_time` and `field_data` (ad and form ids only when `fields=` asks for them), Graph's error
object otherwise, and a deprecation error for a retired version. Tests and `make run` register
leads with POST /_standin/leads; GET /_standin/requests lists the reads it served.

    python -m standins.meta_graph --port 8096 --access-token ..."""

import argparse
import re
import time
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

DEFAULT_FIELDS = ("id", "created_time", "field_data")
OLDEST_SERVED_MAJOR = 22
VERSION = re.compile(r"v([0-9]{1,3})\.0")


def create_app(access_token: str) -> FastAPI:
    app = FastAPI(title="Meta Graph stand-in")
    leads: dict[str, dict[str, Any]] = {}
    requests: list[dict[str, Any]] = []

    def graph_error(status: int, code: int, kind: str, message: str) -> JSONResponse:
        return JSONResponse(
            {"error": {"message": message, "type": kind, "code": code, "fbtrace_id": "AStandInTrace"}}, status
        )

    @app.post("/_standin/leads")
    async def add_lead(lead: dict[str, Any]) -> dict[str, str]:
        leads[str(lead["id"])] = lead
        return {"id": str(lead["id"])}

    @app.get("/_standin/requests")
    async def list_requests() -> list[dict[str, Any]]:
        return requests

    # after the /_standin routes, which this pattern would also match
    @app.get("/{version}/{leadgen_id}")
    async def read_lead(version: str, leadgen_id: str, request: Request) -> JSONResponse:
        requests.append({"leadgen_id": leadgen_id, "version": version, "at": time.time()})
        known = VERSION.fullmatch(version)
        if known is None:
            return graph_error(400, 2500, "OAuthException", f"Unknown path components: /{leadgen_id}")
        if int(known.group(1)) < OLDEST_SERVED_MAJOR:
            message = f"(#2635) You are calling a deprecated version of the Graph API ({version})."
            return graph_error(400, 2635, "OAuthException", message)
        auth = request.headers.get("authorization", "")
        given = auth[7:] if auth.startswith("Bearer ") else request.query_params.get("access_token")
        if given != access_token:
            return graph_error(400, 190, "OAuthException", "Invalid OAuth access token.")
        lead = leads.get(leadgen_id)
        if lead is None:
            return graph_error(
                400,
                100,
                "GraphMethodException",
                f"Unsupported get request. Object with ID '{leadgen_id}' does not exist",
            )
        wanted = request.query_params.get("fields")
        names = [n.strip() for n in wanted.split(",")] if wanted else DEFAULT_FIELDS
        return JSONResponse({k: lead[k] for k in names if k in lead})

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description="Meta Graph API stand-in")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8096)
    parser.add_argument("--access-token", required=True)
    args = parser.parse_args()
    uvicorn.run(create_app(args.access_token), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
