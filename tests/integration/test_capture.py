"""capture as a real process: intake, dedupe, errors, and the outbox publishing to Kafka."""

import asyncio
import uuid
from typing import Any

import asyncpg
import httpx
import orjson
import pytest

from tests.support.kafka_io import activity_kinds, read_topic
from tests.support.stack import INTAKE, Stack


def lead(**extra: Any) -> dict[str, Any]:
    return {"email": f"dana+{uuid.uuid4().hex[:8]}@initech.com", "name": "Dana Reyes", "title": "VP Sales", **extra}


async def published(stack: Stack, lead_id: str) -> list[dict[str, Any]]:
    """The lead.captured messages for one lead, waiting a moment for any duplicate to show up."""
    records = await read_topic(
        f"{stack.topic_prefix}lead.captured", until=lambda rs: any(r.key == lead_id.encode() for r in rs), settle=1.0
    )
    return [orjson.loads(r.value) for r in records if r.key == lead_id.encode()]


async def test_accepted_lead_is_stored_then_published_once(capture: str, stack: Stack, pg: asyncpg.Connection) -> None:
    body = lead(phone="+1 415 555 0134", company="Initech", utm_source="google", plan="pro")
    async with httpx.AsyncClient() as http:
        response = await http.post(f"{capture}/v1/webhooks/generic", json=body, headers=INTAKE)

    assert response.status_code == 202
    answer = response.json()
    assert answer["status"] == "accepted"
    lead_id = answer["lead_id"]
    row = await pg.fetchrow("SELECT email, source, fields FROM capture.leads WHERE id = $1", uuid.UUID(lead_id))
    assert row is not None and row["email"] == body["email"]
    assert await pg.fetchval("SELECT count(*) FROM capture.receipts WHERE lead_id = $1", uuid.UUID(lead_id)) == 1

    [event] = await published(stack, lead_id)
    assert event["type"] == "lead.captured"
    fields = event["data"]["fields"]
    assert fields["email"] == body["email"] and fields["phone"] == "+1 415 555 0134"
    assert fields["utm"] == {"source": "google"} and fields["extra"] == {"plan": "pro"}


async def test_repeated_idempotency_key_returns_the_first_answer_and_publishes_nothing_new(
    capture: str, stack: Stack, pg: asyncpg.Connection
) -> None:
    key = f"delivery-{uuid.uuid4()}"
    async with httpx.AsyncClient() as http:
        first = await http.post(
            f"{capture}/v1/webhooks/generic", json=lead(), headers={**INTAKE, "Idempotency-Key": key}
        )
        again = await asyncio.gather(
            *(
                http.post(f"{capture}/v1/webhooks/generic", json=lead(), headers={**INTAKE, "Idempotency-Key": key})
                for _ in range(5)
            )
        )

    assert first.status_code == 202
    assert all(r.status_code == 202 and r.json() == first.json() for r in again)
    assert all(r.headers.get("Idempotent-Replayed") == "true" for r in again)
    assert await pg.fetchval("SELECT count(*) FROM capture.receipts WHERE idempotency_key = $1", key) == 1
    assert len(await published(stack, first.json()["lead_id"])) == 1


async def test_the_same_body_within_the_window_is_a_duplicate(capture: str, pg: asyncpg.Connection) -> None:
    body = lead()
    async with httpx.AsyncClient() as http:
        answers = await asyncio.gather(
            *(http.post(f"{capture}/v1/webhooks/generic", json=body, headers=INTAKE) for _ in range(4))
        )
    assert {r.json()["lead_id"] for r in answers} == {answers[0].json()["lead_id"]}
    assert await pg.fetchval("SELECT count(*) FROM capture.leads WHERE email = $1", body["email"]) == 1


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        (b'{"name": "No Contact"}', ["email", "phone"]),
        (b'{"email": "not-an-email", "title": 7}', ["email", "title"]),
        (b"{not json", ["(body)"]),
        (b"[1, 2, 3]", ["(body)"]),
    ],
)
async def test_bad_input_gets_422_naming_each_field_and_nothing_is_stored(
    capture: str, pg: asyncpg.Connection, payload: bytes, fields: list[str]
) -> None:
    before = await pg.fetchval("SELECT count(*) FROM capture.receipts")
    async with httpx.AsyncClient() as http:
        response = await http.post(
            f"{capture}/v1/webhooks/generic", content=payload, headers={**INTAKE, "Content-Type": "application/json"}
        )
    assert response.status_code == 422
    assert [f["field"] for f in response.json()["fields"]] == fields
    assert all(f["message"] for f in response.json()["fields"])
    assert await pg.fetchval("SELECT count(*) FROM capture.receipts") == before


async def test_behaviour_events_need_an_api_key(capture: str) -> None:
    async with httpx.AsyncClient() as http:
        missing = await http.post(f"{capture}/v1/events", json={"kind": "page_view", "email": "a@b.com"})
        wrong = await http.post(
            f"{capture}/v1/events", json={"kind": "page_view", "email": "a@b.com"}, headers={"X-API-Key": "nope"}
        )
    assert missing.status_code == wrong.status_code == 401
    assert missing.json()["fields"][0]["field"] == "X-API-Key"


async def test_behaviour_event_for_a_known_lead_is_published_as_activity(
    capture: str, stack: Stack, pg: asyncpg.Connection
) -> None:
    body = lead()
    key = INTAKE
    async with httpx.AsyncClient() as http:
        lead_id = (await http.post(f"{capture}/v1/webhooks/generic", json=body, headers=INTAKE)).json()["lead_id"]
        event = {
            "kind": "page_view",
            "email": body["email"].upper(),
            "properties": {"url": "https://x.io/pricing"},
            "event_id": f"evt-{uuid.uuid4()}",
        }
        first = await http.post(f"{capture}/v1/events", json=event, headers=key)
        again = await http.post(f"{capture}/v1/events", json=event, headers=key)
        by_id = await http.post(f"{capture}/v1/events", json={"kind": "email_opened", "lead_id": lead_id}, headers=key)
        unknown = await http.post(
            f"{capture}/v1/events", json={"kind": "email_opened", "lead_id": str(uuid.uuid4())}, headers=key
        )
        bad = await http.post(f"{capture}/v1/events", json={"kind": "Page View!", "lead_id": lead_id}, headers=key)
        anonymous = await http.post(f"{capture}/v1/events", json={"kind": "page_view"}, headers=key)

    assert first.status_code == 202 and first.json()["lead_id"] == lead_id and "new_lead" not in first.json()
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    assert by_id.status_code == 202 and by_id.json()["lead_id"] == lead_id
    assert unknown.status_code == 422 and unknown.json()["fields"][0]["field"] == "lead_id"
    assert bad.status_code == 422 and [f["field"] for f in bad.json()["fields"]] == ["kind"]
    assert [f["field"] for f in anonymous.json()["fields"]] == ["lead_id", "email"]
    assert await activity_kinds(stack.topic_prefix, lead_id, 2) == ["email_opened", "page_view"]


async def test_a_behaviour_event_for_a_new_email_creates_the_lead(capture: str, stack: Stack) -> None:
    email = f"new+{uuid.uuid4().hex[:8]}@globex.com"
    async with httpx.AsyncClient() as http:
        response = await http.post(
            f"{capture}/v1/events", json={"kind": "demo_requested", "email": email}, headers=INTAKE
        )
    assert response.status_code == 202 and set(response.json()) == {"lead_id", "event_id", "status"}
    [captured] = await published(stack, response.json()["lead_id"])
    assert captured["data"]["fields"]["email"] == email and captured["data"]["source"] == "activity"


async def test_csv_import_reports_bad_rows_and_is_idempotent(capture: str, pg: asyncpg.Connection) -> None:
    tag = uuid.uuid4().hex[:8]
    csv_text = (
        "Name,Email,Company,Title\n"
        f"Ola Berg,ola+{tag}@initech.com,Initech,VP Sales\n"
        "No Email,,Initech,CTO\n"
        f"Ida Lund,ida+{tag}@hooli.com,Hooli,Director\n"
    )
    key = INTAKE
    async with httpx.AsyncClient() as http:
        files = {"file": ("booth.csv", csv_text.encode(), "text/csv")}
        first = await http.post(f"{capture}/v1/imports", files=files, headers=key)
        again = await http.post(f"{capture}/v1/imports", files=files, headers=key)
        chosen_source = await http.post(f"{capture}/v1/imports?source=trade-show", files=files, headers=key)
        raw = await http.post(
            f"{capture}/v1/imports",
            content=csv_text.encode(),
            headers={**key, "Content-Type": "text/csv"},
        )
        unauthorised = await http.post(f"{capture}/v1/imports", files=files)
        empty = await http.post(f"{capture}/v1/imports", content=b"", headers={**key, "Content-Type": "text/csv"})

    assert first.status_code == 200, first.text
    body = first.json()
    assert (body["rows"], body["accepted"], body["duplicates"], body["rejected"]) == (3, 2, 0, 1)
    assert body["errors"] == [
        {
            "row": 3,
            "fields": [
                {"field": "email", "message": "email or phone is required"},
                {"field": "phone", "message": "email or phone is required"},
            ],
        }
    ]
    assert (again.json()["accepted"], again.json()["duplicates"]) == (0, 2)
    assert (raw.json()["accepted"], raw.json()["duplicates"]) == (0, 2), "same file as a raw body: same rows"
    assert unauthorised.status_code == 401 and empty.status_code == 422
    assert chosen_source.status_code == 422 and chosen_source.json()["fields"][0]["field"] == "source"
    count = await pg.fetchval("SELECT count(*) FROM capture.leads WHERE email LIKE $1", f"%+{tag}@%")
    sources = {
        r["source"] for r in await pg.fetch("SELECT source FROM capture.leads WHERE email LIKE $1", f"%+{tag}@%")
    }
    assert count == 2 and sources == {"website"}, "the source is the intake key's name, not a query parameter"
