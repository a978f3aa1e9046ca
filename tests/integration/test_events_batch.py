"""POST /v1/events/batch at capture as a process: a result per item, one lead created for a new
email, duplicates by event id answered as such, bad items named by index and field, and exactly the
accepted events published to lead.activity."""

import uuid

import asyncpg
import httpx

from tests.support.kafka_io import activity_kinds
from tests.support.stack import CRM, INTAKE, OPS, Stack


async def test_a_batch_gets_a_result_per_item_and_publishes_only_the_accepted(
    capture: str, stack: Stack, pg: asyncpg.Connection
) -> None:
    email = f"batch+{uuid.uuid4().hex[:8]}@initech.com"
    first, second = f"ev-{uuid.uuid4().hex}", f"ev-{uuid.uuid4().hex}"
    events = [
        {"email": email, "kind": "page_view", "event_id": first, "properties": {"url": "/pricing"}},
        {"email": email, "kind": "email_opened", "event_id": second},
        {"email": email, "kind": "page_view", "event_id": first, "properties": {"url": "/pricing"}},
        {"email": email, "kind": "Not A Kind"},
        {"lead_id": str(uuid.uuid4()), "kind": "page_view"},
    ]
    async with httpx.AsyncClient() as http:
        response = await http.post(f"{capture}/v1/events/batch", json={"events": events}, headers=INTAKE)
        again = await http.post(f"{capture}/v1/events/batch", json={"events": events[:2]}, headers=INTAKE)
        wrong_scope = await http.post(f"{capture}/v1/events/batch", json={"events": events}, headers=OPS)
        too_many = await http.post(f"{capture}/v1/events/batch", json={"events": [events[0]] * 501}, headers=INTAKE)
    assert response.status_code == 200, response.text
    body = response.json()
    assert [r["status"] for r in body["results"]] == ["accepted", "accepted", "duplicate", "invalid", "invalid"]
    assert (body["accepted"], body["duplicate"], body["invalid"]) == (2, 1, 2)
    assert body["results"][3]["fields"][0]["field"] == "kind"
    assert body["results"][4]["fields"][0]["field"] == "lead_id"
    assert "new_lead" not in body["results"][0], "an intake key is no oracle for who is already a lead"
    assert [r["status"] for r in again.json()["results"]] == ["duplicate", "duplicate"]
    assert wrong_scope.status_code == 403 and too_many.status_code == 422
    lead_id = body["results"][0]["lead_id"]
    assert await pg.fetchval("SELECT count(*) FROM capture.leads WHERE email = $1", email) == 1
    assert await activity_kinds(stack.topic_prefix, lead_id, 2) == ["email_opened", "page_view"]


async def test_hostile_batches_are_refused_whole_and_store_nothing(capture: str, pg: asyncpg.Connection) -> None:
    before = await pg.fetchval("SELECT count(*) FROM capture.receipts")
    nul = {"events": [{"email": "nul@initech.com", "kind": "page_view", "properties": {"u": "a\u0000"}}]}
    async with httpx.AsyncClient(timeout=30) as http:
        with_nul = await http.post(f"{capture}/v1/events/batch", json=nul, headers=INTAKE)
        not_objects = await http.post(f"{capture}/v1/events/batch", json={"events": ["x", 1]}, headers=INTAKE)
        empty = await http.post(f"{capture}/v1/events/batch", json={"events": []}, headers=INTAKE)
        huge = await http.post(
            f"{capture}/v1/events/batch",
            content=b'{"events": [{"email": "a@b.co", "kind": "page_view", "properties": {"x": "'
            + b"y" * (2 * 1024 * 1024)
            + b'"}}]}',
            headers={**INTAKE, "Content-Type": "application/json"},
        )
        anonymous = await http.post(f"{capture}/v1/events/batch", json=nul)
    assert with_nul.status_code == 422 and with_nul.json()["fields"][0]["field"].startswith("events.0")
    assert not_objects.status_code == 422 and empty.status_code == 422
    assert huge.status_code == 413 and huge.json()["error"] == "too_large"
    assert anonymous.status_code == 401
    assert await pg.fetchval("SELECT count(*) FROM capture.receipts") == before


async def test_an_item_over_the_message_limit_is_refused_alone(capture: str, pg: asyncpg.Connection) -> None:
    """The batch body may be 1 MiB, one Kafka message 900 KiB: an item that would not fit in one
    message is refused by name instead of being stored and stuck in the outbox."""
    email = f"big+{uuid.uuid4().hex[:8]}@initech.com"
    events = [
        {"email": email, "kind": "page_view", "properties": {"blob": "y" * 950_000}},
        {"email": email, "kind": "email_opened"},
    ]
    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.post(f"{capture}/v1/events/batch", json={"events": events}, headers=INTAKE)
    assert response.status_code == 200, response.text
    big, small = response.json()["results"]
    assert big["status"] == "invalid" and big["fields"][0]["field"] == "properties.blob", big
    assert "message limit" in big["fields"][0]["message"]
    assert small["status"] == "accepted"
    largest = await pg.fetchval("SELECT max(length(payload)) FROM capture.outbox")
    assert largest is None or largest < 900 * 1024, "nothing over the message limit reached the outbox"


async def test_outcome_and_progress_events_need_an_outcomes_key(capture: str) -> None:
    """won, lost, meeting_booked, rep_rejected... change scores and train the model: a website's
    intake key may not send them; a CRM's key with the outcomes scope may."""
    email = f"outcome+{uuid.uuid4().hex[:8]}@initech.com"
    async with httpx.AsyncClient() as http:
        lead = await http.post(f"{capture}/v1/webhooks/generic", json={"email": email}, headers=INTAKE)
        assert lead.status_code == 202
        refused = {
            kind: await http.post(f"{capture}/v1/events", json={"email": email, "kind": kind}, headers=INTAKE)
            for kind in ("won", "lost", "converted", "meeting_booked", "opportunity_created", "rep_rejected")
        }
        batch = await http.post(
            f"{capture}/v1/events/batch",
            json={"events": [{"email": email, "kind": "won"}, {"email": email, "kind": "page_view"}]},
            headers=INTAKE,
        )
        allowed = await http.post(f"{capture}/v1/events", json={"email": email, "kind": "won"}, headers=CRM)
    for kind, response in refused.items():
        assert response.status_code == 403 and response.json()["fields"][0]["field"] == "kind", kind
    assert [r["status"] for r in batch.json()["results"]] == ["invalid", "accepted"]
    assert allowed.status_code == 202 and allowed.json()["lead_id"] == lead.json()["lead_id"]
