"""A Salesforce stand-in speaking the REST API as Salesforce does:

- the OAuth 2.0 client-credentials token endpoint (`POST /services/oauth2/token`, answering
  access_token and instance_url), served only on the org's My Domain host (`--my-domain`): like
  login.salesforce.com, any other host answers `invalid_grant` "request not supported on this domain";
- SOQL (`GET /services/data/vXX.X/query?q=SELECT ... FROM Obj WHERE F = 'v' AND ... LIMIT n`), with
  Salesforce's case-insensitive text equality, on Lead, Contact and User;
- upsert by external id (`PATCH .../sobjects/<Obj>/<field>/<value>`: 201 created / 200 updated, with
  id, success, errors, created) and read by external id;
- update by record id (`PATCH .../sobjects/<Obj>/<Id>`: 204 No Content);
- error arrays with Salesforce's codes (INVALID_SESSION_ID, REQUIRED_FIELD_MISSING, MALFORMED_QUERY,
  NOT_FOUND, and REQUEST_LIMIT_EXCEEDED when told to).

Records every write; `POST /_standin/records/<Obj>` seeds a Lead, Contact or User.

    python -m standins.salesforce --port 8093 --client-id ... --client-secret ... --my-domain localhost"""

import argparse
import asyncio
import re
import secrets
import time
from typing import Any
from urllib.parse import parse_qsl

import orjson
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

REQUIRED = {"Lead": ("LastName", "Company"), "Contact": ("LastName",)}
PREFIX = {"Lead": "00Q", "Contact": "003", "User": "005"}
SOQL = re.compile(
    r"^SELECT\s+(?P<fields>[\w\s,]+?)\s+FROM\s+(?P<object>\w+)"
    r"(?:\s+WHERE\s+(?P<where>.+?))?(?:\s+ORDER\s+BY\s+\w+(?:\s+(?:ASC|DESC))?)?(?:\s+LIMIT\s+(?P<limit>\d+))?$",
    re.IGNORECASE | re.DOTALL,
)
CONDITION = re.compile(r"^(\w+)\s*=\s*('(?:[^'\\]|\\.)*'|true|false|null)$", re.IGNORECASE)


class Faults(BaseModel):
    limit_exceeded: int = 0
    """The next N API calls answer 403 REQUEST_LIMIT_EXCEEDED."""
    expire_tokens: bool = False
    """Forget every issued token (the next call gets 401 INVALID_SESSION_ID)."""
    reply_delay: float = 0.0


def literal(token: str) -> Any:
    if token.lower() in ("true", "false"):
        return token.lower() == "true"
    if token.lower() == "null":
        return None
    return re.sub(r"\\(.)", r"\1", token[1:-1])


def equal(stored: Any, wanted: Any) -> bool:
    """SOQL `=`: text compares case-insensitively."""
    if isinstance(stored, str) and isinstance(wanted, str):
        return stored.lower() == wanted.lower()
    return bool(stored == wanted)


def create_app(client_id: str, client_secret: str, my_domain: str = "localhost") -> FastAPI:
    app = FastAPI(title="Salesforce stand-in")
    records: dict[str, dict[str, dict[str, Any]]] = {"Lead": {}, "Contact": {}, "User": {}}
    writes: list[dict[str, Any]] = []
    tokens: set[str] = set()
    faults = Faults()

    def errors(status: int, code: str, message: str, fields: list[str] | None = None) -> JSONResponse:
        return JSONResponse([{"message": message, "errorCode": code, "fields": fields or []}], status_code=status)

    def new_id(obj: str) -> str:
        return f"{PREFIX[obj]}{sum(len(r) for r in records.values()) + 1:015d}"

    @app.post("/services/oauth2/token")
    async def token(request: Request) -> JSONResponse:
        if request.url.hostname != my_domain:
            return JSONResponse(
                {"error": "invalid_grant", "error_description": "request not supported on this domain"}, 400
            )
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

    def find(obj: str, field: str, value: str) -> str | None:
        return next((i for i, r in records[obj].items() if str(r.get(field)) == value), None)

    def attributes(obj: str, record_id: str) -> dict[str, str]:
        return {"type": obj, "url": f"/services/data/v61.0/sobjects/{obj}/{record_id}"}

    @app.get("/services/data/{version}/query")
    async def query(version: str, request: Request) -> JSONResponse:
        if (refused := gate(request)) is not None:
            return refused
        q = request.query_params.get("q", "").strip()
        parsed = SOQL.match(q)
        if parsed is None or parsed["object"] not in records:
            return errors(400, "MALFORMED_QUERY", f"unexpected token in: {q[:80]}")
        conditions = []
        for part in re.split(r"\s+AND\s+", parsed["where"] or "", flags=re.IGNORECASE) if parsed["where"] else []:
            found = CONDITION.match(part.strip())
            if found is None:
                return errors(400, "MALFORMED_QUERY", f"unexpected token: {part[:60]}")
            conditions.append((found.group(1), literal(found.group(2))))
        fields = [f.strip() for f in parsed["fields"].split(",")]
        obj = parsed["object"]
        rows = [
            {"attributes": attributes(obj, i), **{f: r.get(f) for f in fields}}
            for i, r in records[obj].items()
            if all(equal(r.get(field), value) for field, value in conditions)
        ]
        if parsed["limit"]:
            rows = rows[: int(parsed["limit"])]
        return JSONResponse({"totalSize": len(rows), "done": True, "records": rows})

    @app.patch("/services/data/{version}/sobjects/{obj}/{field}/{value}")
    async def upsert(version: str, obj: str, field: str, value: str, request: Request) -> JSONResponse:
        if (refused := gate(request)) is not None:
            return refused
        if obj not in REQUIRED:
            return errors(404, "NOT_FOUND", f"The requested resource does not exist: {obj}")
        body = orjson.loads(await request.body() or b"{}")
        if not isinstance(body, dict) or field in body:
            return errors(400, "INVALID_FIELD", f"The external id field {field} must not be in the body", [field])
        existing = find(obj, field, value)
        if existing is None:
            missing = [f for f in REQUIRED[obj] if not body.get(f)]
            if missing:
                return errors(400, "REQUIRED_FIELD_MISSING", f"Required fields are missing: {missing}", missing)
            record_id = new_id(obj)
            records[obj][record_id] = {"Id": record_id, field: value, **body}
        else:
            record_id = existing
            records[obj][record_id].update(body)
        writes.append({"at": time.time(), "object": obj, "id": record_id, "created": existing is None, "body": body})
        await asyncio.sleep(faults.reply_delay)
        created = existing is None
        return JSONResponse(
            {"id": record_id, "success": True, "errors": [], "created": created}, 201 if created else 200
        )

    @app.patch("/services/data/{version}/sobjects/{obj}/{record_id}")
    async def update(version: str, obj: str, record_id: str, request: Request) -> Response:
        if (refused := gate(request)) is not None:
            return refused
        if obj not in records or record_id not in records[obj]:
            return errors(404, "NOT_FOUND", "The requested resource does not exist")
        body = orjson.loads(await request.body() or b"{}")
        records[obj][record_id].update(body)
        writes.append({"at": time.time(), "object": obj, "id": record_id, "created": False, "body": body})
        await asyncio.sleep(faults.reply_delay)
        return Response(status_code=204)

    @app.get("/services/data/{version}/sobjects/{obj}/{field}/{value}")
    async def read(version: str, obj: str, field: str, value: str, request: Request) -> JSONResponse:
        if (refused := gate(request)) is not None:
            return refused
        record_id = find(obj, field, value) if obj in records else None
        if record_id is None:
            return errors(404, "NOT_FOUND", "The requested resource does not exist")
        return JSONResponse({"attributes": attributes(obj, record_id), **records[obj][record_id]})

    @app.post("/_standin/records/{obj}")
    async def seed(obj: str, request: Request) -> JSONResponse:
        """A record made in Salesforce by people, before leadrelay: a Lead, Contact or User."""
        body = orjson.loads(await request.body())
        record_id = str(body.pop("Id", "")) or new_id(obj)
        records[obj][record_id] = {"Id": record_id, **body}
        return JSONResponse(records[obj][record_id], 201)

    @app.get("/_standin/leads")
    async def list_leads() -> list[dict[str, Any]]:
        return list(records["Lead"].values())

    @app.get("/_standin/records/{obj}")
    async def list_records(obj: str) -> list[dict[str, Any]]:
        return list(records.get(obj, {}).values())

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
    parser.add_argument("--my-domain", default="localhost", help="the only host that serves the token endpoint")
    args = parser.parse_args()
    app = create_app(args.client_id, args.client_secret, args.my_domain)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
