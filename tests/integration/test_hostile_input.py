"""Hostile input at capture, each numbered finding of the trust-boundary review refused the right way:
4xx with the usual JSON error body, nothing stored, never a 5xx."""

import asyncio
import base64
import hashlib
import hmac
import json
import subprocess
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import httpx
import orjson
import pytest

from shared.business.loader import load_config
from tests.support import signing
from tests.support.capture_proc import start_capture
from tests.support.kafka_io import read_topic
from tests.support.stack import INTAKE, ROOT, Stack

SOURCES = load_config(ROOT / "config" / "leadrelay.example.yaml").sources
SECRETS = {s.id: s.secret.get_secret_value() for s in SOURCES}
SIGNATURE_HEADERS = {
    "typeform": "Typeform-Signature",
    "calendly": "Calendly-Webhook-Signature",
    "hubspot": "X-HubSpot-Signature-v3",
    "webflow": "x-webflow-signature",
    "facebook": "X-Hub-Signature-256",
    "website": "webhook-signature",
    "instantly": "X-Webhook-Secret",
}


def typeform_body(token: str, email: str) -> bytes:
    sample = json.loads((ROOT / "tests" / "fixtures" / "typeform_form_response.json").read_text())
    sample["form_response"]["token"] = token
    for answer in sample["form_response"]["answers"]:
        if answer["type"] == "email":
            answer["email"] = email
    return json.dumps(sample).encode()


def typeform_headers(body: bytes) -> dict[str, str]:
    digest = base64.b64encode(hmac.new(SECRETS["typeform"].encode(), body, hashlib.sha256).digest()).decode()
    return {"Typeform-Signature": f"sha256={digest}", "Content-Type": "application/json"}


async def test_1_generic_needs_a_key_and_cannot_shadow_a_vendor_delivery(capture: str, pg: asyncpg.Connection) -> None:
    token = f"tok-{uuid.uuid4().hex}"
    email = f"victim+{uuid.uuid4().hex[:8]}@hooli.com"
    async with httpx.AsyncClient() as http:
        anonymous = await http.post(f"{capture}/v1/webhooks/generic", json={"email": "x@y.com"})
        shadow = await http.post(
            f"{capture}/v1/webhooks/generic",
            json={"email": f"attacker+{uuid.uuid4().hex[:6]}@evil.com", "source": "typeform"},
            headers={**INTAKE, "Idempotency-Key": token},
        )
        body = typeform_body(token, email)
        real = await http.post(f"{capture}/v1/webhooks/typeform", content=body, headers=typeform_headers(body))
    assert anonymous.status_code == 401 and anonymous.json()["fields"][0]["field"] == "X-API-Key"
    assert shadow.status_code == 202
    assert real.status_code == 202 and "idempotent-replayed" not in real.headers, "the vendor delivery is its own"
    row = await pg.fetchrow("SELECT source FROM capture.leads WHERE email = $1", email)
    assert row is not None and row["source"] == "typeform"
    attacker = await pg.fetchrow(
        "SELECT source, fields FROM capture.leads WHERE id = $1", uuid.UUID(shadow.json()["lead_id"])
    )
    assert attacker["source"] == "website", "the source is the key's name, never the body's"


@pytest.mark.parametrize("source", sorted(SIGNATURE_HEADERS))
async def test_7_non_ascii_and_other_source_signatures_are_401(capture: str, source: str) -> None:
    body = b'{"email": "sig@acme.com"}'
    other = "calendly" if source != "calendly" else "typeform"
    now = datetime.now(UTC)
    async with httpx.AsyncClient() as http:
        hostile = await http.post(
            f"{capture}/v1/webhooks/{source}",
            content=body,
            headers=[
                (b"content-type", b"application/json"),
                (SIGNATURE_HEADERS[source].encode(), "sha256=v1,t=1,\u00e9\u00ff".encode("latin-1")),
                (b"webhook-id", b"msg_1"),
                (b"webhook-timestamp", str(int(now.timestamp())).encode()),
                (b"x-hubspot-request-timestamp", str(int(now.timestamp() * 1000)).encode()),
                (b"x-webflow-timestamp", "\u00b2\u00b3".encode("latin-1")),
            ],
        )
        signer = getattr(signing, {"website": "standard", "instantly": "outreach"}.get(source, source), None)
        foreign = None
        if signer is not None and source != "facebook":
            url = f"{capture}/v1/webhooks/{source}"
            foreign = await http.post(url, content=body, headers=signer(SECRETS[other], body, now, url))
    assert hostile.status_code == 401, hostile.text
    assert hostile.json()["error"] == "invalid_signature"
    if foreign is not None:
        assert foreign.status_code == 401, f"{source} signed with {other}'s secret: {foreign.text}"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        (b'{"email": "nul@acme.com", "name": "Ann\\u0000"}', "name"),
        (b'{"email": "nul@acme.com", "k\\u0000": "v"}', "(body)"),
        (b'{"email": "deep@acme.com", "x": ' + b"[" * 500 + b"]" * 500 + b"}", "x"),
        (b'{"email": "deep@acme.com", "x": ' + b'{"a":' * 40 + b"1" + b"}" * 40 + b"}", "x"),
        (b'{"email": "many@acme.com", ' + b", ".join(b'"f%d": 1' % i for i in range(60)) + b"}", "(body)"),
        (b'{"email": "big@acme.com", "note": "' + b"x" * 5000 + b'"}', "(body)"),
    ],
)
async def test_7_nul_deep_and_oversized_fields_are_422(
    capture: str, pg: asyncpg.Connection, payload: bytes, field: str
) -> None:
    before = await pg.fetchval("SELECT count(*) FROM capture.receipts")
    async with httpx.AsyncClient() as http:
        response = await http.post(
            f"{capture}/v1/webhooks/generic", content=payload, headers={**INTAKE, "Content-Type": "application/json"}
        )
    assert response.status_code == 422, response.text
    assert response.json()["fields"][0]["field"].startswith(field)
    assert await pg.fetchval("SELECT count(*) FROM capture.receipts") == before


async def test_7_a_signed_vendor_payload_with_a_nul_is_422(capture: str) -> None:
    body = typeform_body(f"tok-{uuid.uuid4().hex}", "nul\u0000@hooli.com")
    async with httpx.AsyncClient() as http:
        response = await http.post(f"{capture}/v1/webhooks/typeform", content=body, headers=typeform_headers(body))
    assert response.status_code == 422, response.text


async def test_7_meta_leadgen_id_that_is_not_an_id_is_422(capture: str) -> None:
    body = orjson.dumps(
        {"object": "page", "entry": [{"changes": [{"field": "leadgen", "value": {"leadgen_id": "../me?fields=x"}}]}]}
    )
    signature = hmac.new(SECRETS["facebook"].encode(), body, hashlib.sha256).hexdigest()
    async with httpx.AsyncClient() as http:
        response = await http.post(
            f"{capture}/v1/webhooks/facebook",
            content=body,
            headers={"X-Hub-Signature-256": f"sha256={signature}", "Content-Type": "application/json"},
        )
    assert response.status_code == 422 and "leadgen_id" in response.json()["fields"][0]["field"]


async def test_6_bodies_over_the_cap_are_413_before_they_are_read(capture: str) -> None:
    big = b'{"email": "big@acme.com", "notes": "' + b"x" * (20 * 1024 * 1024) + b'"}'

    async def chunked() -> AsyncIterator[bytes]:
        for i in range(0, len(big), 65536):
            yield big[i : i + 65536]

    async with httpx.AsyncClient(timeout=30) as http:
        declared = await http.post(f"{capture}/v1/webhooks/generic", content=big, headers=INTAKE)
        streamed = await http.post(f"{capture}/v1/webhooks/generic", content=chunked(), headers=INTAKE)
        vendor = await http.post(f"{capture}/v1/webhooks/typeform", content=big)
    for response in (declared, streamed, vendor):
        assert response.status_code == 413, response.text[:200]
        assert response.json()["error"] == "too_large"


async def test_6_a_lead_over_the_message_limit_is_422_and_a_stuck_outbox_row_does_not_block(
    stack: Stack, pg: asyncpg.Connection
) -> None:
    proc, base = start_capture(stack, LEADRELAY_MAX_MESSAGE_BYTES="20000")
    try:
        fat = {"email": f"fat+{uuid.uuid4().hex[:6]}@acme.com", **{f"f{i}": "y" * 3900 for i in range(8)}}
        async with httpx.AsyncClient() as http:
            refused = await http.post(f"{base}/v1/webhooks/generic", json=fat, headers=INTAKE)
            topic = f"{stack.topic_prefix}lead.captured"
            stuck = await pg.fetchval(
                "INSERT INTO capture.outbox (topic, key, payload, headers) VALUES ($1, 'k', $2, '[]') RETURNING id",
                topic,
                b"x" * (2 * 1024 * 1024),
            )
            after = await http.post(
                f"{base}/v1/webhooks/generic", json={"email": f"after+{uuid.uuid4().hex[:6]}@acme.com"}, headers=INTAKE
            )
        lead_id = after.json()["lead_id"]
        records = await read_topic(topic, until=lambda rs: any(r.key == lead_id.encode() for r in rs), settle=0.5)
    finally:
        assert proc.stop(), proc.tail()
    assert refused.status_code == 422 and refused.json()["error"] == "too_large"
    assert refused.json()["fields"][0]["field"].startswith("extra.f")
    assert any(r.key == lead_id.encode() for r in records), "the lead behind the stuck row was published"
    row = await pg.fetchrow("SELECT failed_at, published_at FROM capture.outbox WHERE id = $1", stuck)
    assert row["failed_at"] is not None and row["published_at"] is None
    assert await pg.fetchval("SELECT count(*) FROM capture.outbox_dead_letters WHERE outbox_id = $1", stuck) == 1


async def test_8_a_huge_csv_import_is_refused_by_its_row_cap_while_health_answers(capture: str) -> None:
    rows = b"email\n" + b"".join(b"r%d@acme.com\n" % i for i in range(200_000))
    async with httpx.AsyncClient(timeout=60) as http:
        upload = asyncio.create_task(
            http.post(f"{capture}/v1/imports", content=rows, headers={**INTAKE, "Content-Type": "text/csv"})
        )
        health = [await http.get(f"{capture}/healthz") for _ in range(5)]
        response = await upload
    assert all(h.status_code == 200 for h in health)
    assert response.status_code == 413 and "rows" in response.json()["fields"][0]["message"]


async def test_2_a_public_form_never_learns_or_changes_a_known_lead(capture: str, pg: asyncpg.Connection) -> None:
    email = f"known+{uuid.uuid4().hex[:8]}@initech.com"
    async with httpx.AsyncClient() as http:
        trusted = await http.post(
            f"{capture}/v1/webhooks/generic", json={"email": email, "country": "US"}, headers=INTAKE
        )
        public = await http.post(
            f"{capture}/v1/forms/contact",
            data={"email": email, "country": "KP", "utm_campaign": "evil", "name": "Mallory"},
            headers={"Origin": "http://127.0.0.1:8090"},
        )
    lead_id = uuid.UUID(trusted.json()["lead_id"])
    assert public.status_code in (200, 303) and str(lead_id) not in public.text
    fields = json.loads(await pg.fetchval("SELECT fields FROM capture.leads WHERE id = $1", lead_id))
    assert fields["country"] == "US" and fields["utm"] == {} and fields.get("name") is None
    touches = await pg.fetch(
        "SELECT source, trust, fields FROM capture.touches WHERE lead_id = $1 ORDER BY id", lead_id
    )
    assert [(t["source"], t["trust"]) for t in touches] == [("website", "trusted"), ("contact", "public")]
    assert json.loads(touches[1]["fields"])["country"] == "KP", "the repeat is kept as a touch"


def test_10_a_service_outside_development_refuses_known_secrets(stack: Stack) -> None:
    env = stack.env(LEADRELAY_ENV="production", LEADRELAY_API_KEYS='["local-dev-key"]', LEADRELAY_PORT="1")
    result = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "-m", "services.capture"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert result.returncode == 2
    assert "example config" in result.stderr and "api_keys.key1: a local default" in result.stderr
    assert "local-dev-key" not in result.stderr, "the message names settings, never their values"
