"""A Meta Graph API stand-in for Lead Ads: GET /v19.0/<leadgen_id> with the page token (as
`Authorization: Bearer` or ?access_token=) answers with the lead's field_data as Graph does (or
Graph's error object). Tests and `make run` register leads with POST /_standin/leads;
GET /_standin/requests lists the reads it served.

    python -m standins.meta_graph --port 8096 --access-token ..."""

import argparse
import time
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


def create_app(access_token: str) -> FastAPI:
    app = FastAPI(title="Meta Graph stand-in")
    leads: dict[str, dict[str, Any]] = {}
    requests: list[dict[str, Any]] = []

    def graph_error(status: int, code: int, kind: str, message: str) -> JSONResponse:
        return JSONResponse(
            {"error": {"message": message, "type": kind, "code": code, "fbtrace_id": "AStandInTrace"}}, status
        )

    @app.get("/v19.0/{leadgen_id}")
    async def read_lead(leadgen_id: str, request: Request) -> JSONResponse:
        requests.append({"leadgen_id": leadgen_id, "at": time.time()})
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
        return JSONResponse(lead)

    @app.post("/_standin/leads")
    async def add_lead(lead: dict[str, Any]) -> dict[str, str]:
        leads[str(lead["id"])] = lead
        return {"id": str(lead["id"])}

    @app.get("/_standin/requests")
    async def list_requests() -> list[dict[str, Any]]:
        return requests

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
