"""Public forms are untrusted input (issue 19, item 3), against a real capture process: what a signed
Typeform delivery or the website's own form says about a person leadrelay already knows changes
nothing on the lead; it becomes a touch and pending field reviews. Ops accept one (the lead takes the
value and is published anew) or reject one; everyone else is refused."""

import json
import uuid
from datetime import UTC, datetime

import asyncpg
import httpx
import orjson

from tests.integration.test_vendor_sources import SECRETS
from tests.support import signing
from tests.support.kafka_io import read_topic
from tests.support.stack import INTAKE, OPS, ROOT, Stack

ORIGIN = "http://127.0.0.1:8090"


def typeform_about(email: str, phone: str, title: str) -> bytes:
    """The Typeform sample, typed by a visitor with someone else's email."""
    body = json.loads((ROOT / "tests" / "fixtures" / "typeform_form_response.json").read_text())
    response = body["form_response"]
    response["token"] = uuid.uuid4().hex
    for answer in response["answers"]:
        ref = answer["field"]["ref"]
        if ref == "work_email":
            answer["email"] = email
        elif ref == "phone":
            answer["phone_number"] = phone
        elif ref == "job_title":
            answer["text"] = title
    return orjson.dumps(body)


async def lead_row(stack: Stack, lead_id: str) -> dict[str, object]:
    conn = await asyncpg.connect(stack.dsn)
    try:
        row = await conn.fetchrow("SELECT fields FROM capture.leads WHERE id = $1::uuid", lead_id)
        assert row is not None
        return dict(json.loads(row["fields"]))
    finally:
        await conn.close()


async def test_visitors_propose_ops_decide(capture: str, stack: Stack) -> None:
    email = f"prospect+{uuid.uuid4().hex[:8]}@initech.com"
    async with httpx.AsyncClient() as http:
        created = await http.post(
            f"{capture}/v1/webhooks/generic",
            json={"email": email, "name": "Real Person", "phone": "+14155550100", "title": "VP Sales"},
            headers=INTAKE,
        )
        lead_id = created.json()["lead_id"]
        body = typeform_about(email.upper(), "+442079460000", "Intern")
        typed = await http.post(
            f"{capture}/v1/webhooks/typeform",
            content=body,
            headers=signing.typeform(SECRETS["typeform"], body, datetime.now(UTC), ""),
        )
        form = await http.post(
            f"{capture}/v1/forms/contact", data={"email": email, "phone": "+15550009999"}, headers={"Origin": ORIGIN}
        )
        anonymous = await http.get(f"{capture}/v1/leads/{lead_id}/reviews")
        intake = await http.get(f"{capture}/v1/leads/{lead_id}/reviews", headers=INTAKE)
        listed = await http.get(f"{capture}/v1/leads/{lead_id}/reviews", headers=OPS)
    assert typed.status_code == 202 and typed.json()["lead_id"] == lead_id, "the vendor is told which lead"
    assert form.status_code in (200, 202, 303) and lead_id not in form.text, "the visitor is told nothing"
    fields = await lead_row(stack, lead_id)
    assert (fields["phone"], fields["title"]) == ("+14155550100", "VP Sales"), "a visitor changed nothing"
    assert anonymous.status_code == 401 and intake.status_code == 403
    pending = {(r["field"], r["proposed_value"]): r for r in listed.json()["reviews"] if r["status"] == "pending"}
    assert {("phone", "+442079460000"), ("title", "Intern"), ("phone", "+15550009999")} <= set(pending), pending
    phone = pending[("phone", "+442079460000")]
    assert (phone["current_value"], phone["source"]) == ("+14155550100", "typeform")

    async with httpx.AsyncClient() as http:
        by_intake = await http.post(f"{capture}/v1/reviews/{phone['id']}/accept", headers=INTAKE)
        accepted = await http.post(
            f"{capture}/v1/reviews/{phone['id']}/accept", json={"operator": "dana@example.com"}, headers=OPS
        )
        again = await http.post(f"{capture}/v1/reviews/{phone['id']}/reject", headers=OPS)
        title = pending[("title", "Intern")]
        rejected = await http.post(f"{capture}/v1/reviews/{title['id']}/reject", headers=OPS)
        unknown = await http.post(f"{capture}/v1/reviews/987654321/accept", headers=OPS)
        bad = await http.post(f"{capture}/v1/reviews/{title['id']}/approve", headers=OPS)
    assert by_intake.status_code == 403
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted", accepted.text
    assert accepted.json()["decided_by"] == "ops:dana@example.com"
    assert again.status_code == 409 and again.json()["fields"][0]["field"] == "review_id"
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert unknown.status_code == 404 and bad.status_code == 422
    fields = await lead_row(stack, lead_id)
    assert (fields["phone"], fields["title"]) == ("+442079460000", "VP Sales"), "accepted taken, rejected not"
    records = await read_topic(
        f"{stack.topic_prefix}lead.captured",
        until=lambda rs: any(r.key == lead_id.encode() and b"review:ops" in r.value for r in rs),
    )
    [republished] = [orjson.loads(r.value) for r in records if r.key == lead_id.encode() and b"review:ops" in r.value]
    assert republished["data"]["fields"]["phone"] == "+442079460000", "enrich and score see the accepted value"
