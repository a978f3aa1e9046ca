"""A Salesforce stand-in speaking the REST API as Salesforce does: the OAuth 2.0 client-credentials
token endpoint (`POST /services/oauth2/token`, answering access_token and instance_url), upsert by
external id (`PATCH /services/data/vXX.X/sobjects/Lead/<field>/<value>`: 201 created / 200 updated,
with id, success, errors, created), read by external id, error arrays with Salesforce's codes
(INVALID_SESSION_ID, REQUIRED_FIELD_MISSING, and REQUEST_LIMIT_EXCEEDED when told to). Records
every write.

    python -m standins.salesforce --port 8093 --client-id ... --client-secret ..."""

import argparse
import asyncio
import secrets
import time
from typing import Any
from urllib.parse import parse_qsl

import orjson
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

REQUIRED = ("LastName", "Company")


class Faults(BaseModel):
    limit_exceeded: int = 0
    """The next N API calls answer 403 REQUEST_LIMIT_EXCEEDED."""
    expire_tokens: bool = False
    """Forget every issued token (the next call gets 401 INVALID_SESSION_ID)."""
    reply_delay: float = 0.0


def create_app(client_id: str, client_secret: str) -> FastAPI:
    app = FastAPI(title="Salesforce stand-in")
    leads: dict[str, dict[str, Any]] = {}
    writes: list[dict[str, Any]] = []
    tokens: set[str] = set()
    faults = Faults()

    def errors(status: int, code: str, message: str, fields: list[str] | None = None) -> JSONResponse:
        return JSONResponse([{"message": message, "errorCode": code, "fields": fields or []}], status_code=status)

    @app.post("/services/oauth2/token")
    async def token(request: Request) -> JSONResponse:
        form = dict(parse_qsl((await request.body()).decode()))
        if form.get("grant_type") != "client_credentials":
            return JSONResponse(
                {"error": "unsupported_grant_type", "error_description": "grant type not supported"}, 400
            )
        if form.get("client_id") != client_id or form.get("client_secret") != client_secret:
            return JSONResponse({"error": "invalid_client", "error_description": "invalid client credentials"}, 400)
        issued = f"00DSTANDIN!{secrets.token_urlsafe(24)}"
        tokens.add(issued)
        base = str(request.base_url).rstrip("/")
        return JSONResponse(
            {
                "access_token": issued,
                "instance_url": base,
                "id": f"{base}/id/00DSTANDIN/005STANDIN",
                "token_type": "Bearer",
                "issued_at": str(int(time.time() * 1000)),
                "signature": secrets.token_urlsafe(16),
            }
        )

    def gate(request: Request) -> JSONResponse | None:
        nonlocal faults
        if faults.expire_tokens:
            tokens.clear()
            faults = faults.model_copy(update={"expire_tokens": False})
        if request.headers.get("authorization", "").removeprefix("Bearer ") not in tokens:
            return errors(401, "INVALID_SESSION_ID", "Session expired or invalid")
        if faults.limit_exceeded > 0:
            faults = faults.model_copy(update={"limit_exceeded": faults.limit_exceeded - 1})
            return errors(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
        return None

    def find(field: str, value: str) -> str | None:
        return next((i for i, lead in leads.items() if str(lead.get(field)) == value), None)

    @app.patch("/services/data/{version}/sobjects/Lead/{field}/{value}")
    async def upsert(version: str, field: str, value: str, request: Request) -> JSONResponse:
        if (refused := gate(request)) is not None:
            return refused
        body = orjson.loads(await request.body() or b"{}")
        if not isinstance(body, dict) or field in body:
            return errors(400, "INVALID_FIELD", f"The external id field {field} must not be in the body", [field])
        existing = find(field, value)
        if existing is None:
            missing = [f for f in REQUIRED if not body.get(f)]
            if missing:
                return errors(400, "REQUIRED_FIELD_MISSING", f"Required fields are missing: {missing}", missing)
            lead_id = f"00Q{len(leads) + 1:015d}"
            leads[lead_id] = {"Id": lead_id, field: value, **body}
        else:
            lead_id = existing
            leads[lead_id].update(body)
        writes.append({"at": time.time(), "id": lead_id, "created": existing is None, "body": body})
        await asyncio.sleep(faults.reply_delay)
        created = existing is None
        return JSONResponse({"id": lead_id, "success": True, "errors": [], "created": created}, 201 if created else 200)

    @app.get("/services/data/{version}/sobjects/Lead/{field}/{value}")
    async def read(version: str, field: str, value: str, request: Request) -> JSONResponse:
        if (refused := gate(request)) is not None:
            return refused
        lead_id = find(field, value)
        if lead_id is None:
            return errors(404, "NOT_FOUND", "The requested resource does not exist")
        return JSONResponse({"attributes": {"type": "Lead"}, **leads[lead_id]})

    @app.get("/_standin/leads")
    async def list_leads() -> list[dict[str, Any]]:
        return list(leads.values())

    @app.get("/_standin/writes")
    async def list_writes() -> list[dict[str, Any]]:
        return writes

    @app.post("/_standin/faults")
    async def set_faults(new: Faults) -> Faults:
        nonlocal faults
        faults = new
        return faults

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description="Salesforce REST API stand-in")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8093)
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--client-secret", required=True)
    args = parser.parse_args()
    uvicorn.run(create_app(args.client_id, args.client_secret), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
