"""A HubSpot CRM stand-in speaking the v3 contacts API as HubSpot does: Bearer private-app tokens,
`POST /crm/v3/objects/contacts/search` (filterGroups, EQ on a property), `POST .../contacts/batch/read`
(up to 100 ids; 207 Multi-Status naming the ids it could not find), `POST .../contacts` (409
CONFLICT "Contact already exists. Existing ID: N" for a known email), `PATCH` and `GET
.../contacts/{id}`, owners (`GET /crm/v3/owners/{id}`: 404 for an archived owner, a deactivated
user, unless archived=true), rate-limit headers on every answer and 429 with them when told to, and
list membership (`PUT /crm/v3/lists/{listId}/memberships/add`, `.../remove`). Records every write,
and every read (GET /_standin/reads).

    python -m standins.hubspot --port 8094 --token pat-local"""

import argparse
import asyncio
import time
from typing import Any

import orjson
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

INTERVAL_MS = 1_000
LIMIT = 10
BATCH_LIMIT = 100


class Faults(BaseModel):
    rate_limited: int = 0
    """The next N calls answer 429."""
    reply_delay: float = 0.0
    """Writes are applied, then answered this much later (a client killed in between is in doubt)."""


def create_app(token: str) -> FastAPI:
    app = FastAPI(title="HubSpot stand-in")
    contacts: dict[str, dict[str, Any]] = {}
    writes: list[dict[str, Any]] = []
    reads: list[dict[str, Any]] = []
    owners: dict[str, dict[str, Any]] = {}
    lists: dict[str, list[str]] = {}
    faults = Faults()
    calls: list[float] = []

    def headers() -> dict[str, str]:
        now = time.time()
        recent = [t for t in calls if now - t < INTERVAL_MS / 1000]
        return {
            "X-HubSpot-RateLimit-Interval-Milliseconds": str(INTERVAL_MS),
            "X-HubSpot-RateLimit-Max": str(LIMIT),
            "X-HubSpot-RateLimit-Remaining": str(max(LIMIT - len(recent), 0)),
        }

    def answer(body: Any, status: int = 200) -> JSONResponse:
        return JSONResponse(body, status_code=status, headers=headers())

    def error(status: int, category: str, message: str) -> JSONResponse:
        body = {"status": "error", "message": message, "correlationId": f"{time.time_ns():x}", "category": category}
        return answer(body, status)

    async def gate(request: Request) -> JSONResponse | None:
        """Auth and injected rate limits, as HubSpot answers them."""
        nonlocal faults
        calls.append(time.time())
        if request.headers.get("authorization", "") != f"Bearer {token}":
            return error(401, "INVALID_AUTHENTICATION", "Authentication credentials not found.")
        if faults.rate_limited > 0:
            faults = faults.model_copy(update={"rate_limited": faults.rate_limited - 1})
            body = {
                "status": "error",
                "message": "You have reached your secondly limit.",
                "errorType": "RATE_LIMIT",
                "policyName": "SECONDLY",
            }
            return JSONResponse(body, status_code=429, headers={**headers(), "X-HubSpot-RateLimit-Remaining": "0"})
        return None

    def view(contact_id: str) -> dict[str, Any]:
        c = contacts[contact_id]
        return {"id": contact_id, "properties": c["properties"], "createdAt": c["createdAt"], "archived": False}

    def by_email(email: str) -> str | None:
        return next((i for i, c in contacts.items() if c["properties"].get("email") == email.lower()), None)

    @app.post("/crm/v3/objects/contacts/search")
    async def search(request: Request) -> JSONResponse:
        if (refused := await gate(request)) is not None:
            return refused
        body = orjson.loads(await request.body() or b"{}")
        try:
            [group] = body["filterGroups"]
            [f] = group["filters"]
            assert f["operator"] == "EQ"
        except (KeyError, ValueError, AssertionError, TypeError):
            return error(400, "VALIDATION_ERROR", "Only one filter group with one EQ filter is supported here.")
        found = [i for i, c in contacts.items() if str(c["properties"].get(f["propertyName"], "")) == str(f["value"])]
        return answer({"total": len(found), "results": [view(i) for i in found[: int(body.get("limit", 10))]]})

    @app.post("/crm/v3/objects/contacts/batch/read")
    async def batch_read(request: Request) -> JSONResponse:
        if (refused := await gate(request)) is not None:
            return refused
        body = orjson.loads(await request.body() or b"{}")
        inputs = body.get("inputs")
        if not isinstance(inputs, list) or not all(isinstance(i, dict) and "id" in i for i in inputs):
            return error(400, "VALIDATION_ERROR", "Invalid input JSON on line 1: inputs must be a list of {id}")
        if len(inputs) > BATCH_LIMIT:
            return error(400, "VALIDATION_ERROR", f"Batch input limit is {BATCH_LIMIT}; got {len(inputs)}")
        ids = [str(i["id"]) for i in inputs]
        reads.append({"at": time.time(), "op": "batch_read", "ids": ids})
        started = time.strftime("%Y-%m-%dT%H:%M:%SZ")
        found = [view(i) for i in dict.fromkeys(ids) if i in contacts]
        missing = [i for i in dict.fromkeys(ids) if i not in contacts]
        answer_body: dict[str, Any] = {
            "status": "COMPLETE",
            "results": found,
            "startedAt": started,
            "completedAt": time.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        if not missing:
            return answer(answer_body)
        answer_body["numErrors"] = 1
        answer_body["errors"] = [
            {
                "status": "error",
                "category": "OBJECT_NOT_FOUND",
                "message": "Could not get some CONTACT objects, they may be deleted or not exist. "
                "Check that ids are valid.",
                "context": {"ids": missing},
            }
        ]
        return answer(answer_body, 207)

    @app.post("/crm/v3/objects/contacts")
    async def create(request: Request) -> JSONResponse:
        if (refused := await gate(request)) is not None:
            return refused
        properties = {k: str(v) for k, v in orjson.loads(await request.body() or b"{}").get("properties", {}).items()}
        email = properties.get("email", "").lower()
        if email and (existing := by_email(email)) is not None:
            return error(409, "CONFLICT", f"Contact already exists. Existing ID: {existing}")
        contact_id = str(1000 + len(contacts) + 1)
        properties["email"] = email
        contacts[contact_id] = {"properties": properties, "createdAt": time.strftime("%Y-%m-%dT%H:%M:%SZ")}
        writes.append({"at": time.time(), "op": "create", "id": contact_id, "properties": properties})
        await asyncio.sleep(faults.reply_delay)
        return answer(view(contact_id), 201)

    @app.patch("/crm/v3/objects/contacts/{contact_id}")
    async def update(contact_id: str, request: Request) -> JSONResponse:
        if (refused := await gate(request)) is not None:
            return refused
        if contact_id not in contacts:
            return error(404, "OBJECT_NOT_FOUND", f"Object not found.  objectId are usually numeric. {contact_id}")
        properties = {k: str(v) for k, v in orjson.loads(await request.body() or b"{}").get("properties", {}).items()}
        contacts[contact_id]["properties"].update(properties)
        writes.append({"at": time.time(), "op": "update", "id": contact_id, "properties": properties})
        await asyncio.sleep(faults.reply_delay)
        return answer(view(contact_id))

    @app.get("/crm/v3/objects/contacts/{contact_id}")
    async def read(contact_id: str, request: Request) -> JSONResponse:
        if (refused := await gate(request)) is not None:
            return refused
        reads.append({"at": time.time(), "op": "read", "ids": [contact_id]})
        if contact_id not in contacts:
            return error(404, "OBJECT_NOT_FOUND", "Object not found.")
        return answer(view(contact_id))

    @app.get("/crm/v3/owners/{owner_id}")
    async def owner(owner_id: str, request: Request) -> JSONResponse:
        """An owner by id; an archived one (a deactivated user) only when asked with archived=true."""
        if (refused := await gate(request)) is not None:
            return refused
        found = owners.get(owner_id)
        want_archived = request.query_params.get("archived", "false") == "true"
        if found is None or found["archived"] != want_archived:
            return error(404, "OBJECT_NOT_FOUND", f"Owner {owner_id} not found.")
        return answer(found)

    @app.post("/_standin/owners")
    async def seed_owner(request: Request) -> JSONResponse:
        body = orjson.loads(await request.body())
        owner_id = str(body["id"])
        owners[owner_id] = {
            "id": owner_id,
            "email": body.get("email", f"owner{owner_id}@example.com"),
            "type": "PERSON",
            "userId": int(owner_id) + 100000,
            "archived": bool(body.get("archived", False)),
        }
        return JSONResponse(owners[owner_id], 201)

    @app.put("/crm/v3/lists/{list_id}/memberships/{action}")
    async def membership(list_id: str, action: str, request: Request) -> JSONResponse:
        if (refused := await gate(request)) is not None:
            return refused
        ids = [str(i) for i in orjson.loads(await request.body() or b"[]")]
        members = lists.setdefault(list_id, [])
        if action == "add":
            added = [i for i in ids if i not in members]
            members.extend(added)
            return answer({"recordIdsAdded": added, "recordIdsMissing": []})
        if action == "remove":
            removed = [i for i in ids if i in members]
            lists[list_id] = [i for i in members if i not in removed]
            return answer({"recordIdsRemoved": removed, "recordIdsMissing": []})
        return error(404, "NOT_FOUND", "Unknown membership action.")

    @app.post("/_standin/contacts")
    async def seed(request: Request) -> JSONResponse:
        """Create a contact directly (as if a person filled a HubSpot form): {properties}."""
        properties = {k: str(v) for k, v in orjson.loads(await request.body()).get("properties", {}).items()}
        contact_id = str(1000 + len(contacts) + 1)
        contacts[contact_id] = {"properties": properties, "createdAt": time.strftime("%Y-%m-%dT%H:%M:%SZ")}
        return JSONResponse(view(contact_id), status_code=201)

    @app.get("/_standin/contacts")
    async def list_contacts() -> list[dict[str, Any]]:
        return [view(i) for i in contacts]

    @app.get("/_standin/reads")
    async def list_reads() -> list[dict[str, Any]]:
        return reads

    @app.get("/_standin/writes")
    async def list_writes() -> list[dict[str, Any]]:
        return writes

    @app.get("/_standin/lists")
    async def list_lists() -> dict[str, list[str]]:
        return lists

    @app.post("/_standin/faults")
    async def set_faults(new: Faults) -> Faults:
        nonlocal faults
        faults = new
        return faults

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description="HubSpot CRM stand-in")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8094)
    parser.add_argument("--token", required=True, help="the private app token it accepts")
    args = parser.parse_args()
    uvicorn.run(create_app(args.token), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
