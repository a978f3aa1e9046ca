"""Every inbound source, against a real capture process: a real sample payload with a valid signature
is accepted and published with the right fields; a tampered body, a wrong secret, a stale timestamp
and a replayed delivery are refused (or absorbed) with nothing new stored or published."""

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import asyncpg
import httpx
import orjson
import pytest

from shared.business.loader import load_config
from tests.support import signing
from tests.support.kafka_io import read_topic
from tests.support.stack import INTAKE, ROOT, Stack

FIXTURES = ROOT / "tests" / "fixtures"
SECRETS = {s.id: s.secret.get_secret_value() for s in load_config(ROOT / "config" / "leadrelay.example.yaml").sources}
Signer = Callable[[str, bytes, datetime, str], dict[str, str]]


@dataclass(frozen=True)
class Case:
    source: str
    fixture: str
    signer: Signer
    expect: dict[str, Any]
    timestamped: bool = True
    body_signed: bool = True
    activity: str | None = None
    url_token: bool = False

    def body(self) -> bytes:
        raw = (FIXTURES / self.fixture).read_bytes()
        if self.source == "webflow-dashboard":  # its own person: a known one would only be a touch
            raw = raw.replace(b"grace@starklogistics.com", b"grace.dash@starklogistics.com")
        if self.source == "unbounce":
            data = json.dumps(json.loads(raw))
            return urlencode(
                {"data.json": data, "page_id": "2ef3cc5e", "page_url": "https://try.example.com/demo"}
            ).encode()
        return raw


CASES = [
    Case(
        "website",
        "standard_webhooks_lead.json",
        signing.standard,
        {"email": "sofia.rossi@acme.com", "title": "Chief Revenue Officer", "utm": {"campaign": "launch"}},
    ),
    Case(
        "typeform",
        "typeform_form_response.json",
        signing.typeform,
        {
            "email": "lauren.mbeki@hooli.com",
            "first_name": "Lauren",
            "last_name": "Mbeki",
            "company": "Hooli",
            "title": "VP Revenue Operations",
            "phone": "+14155550187",
            "utm": {"source": "linkedin", "campaign": "q4-demo"},
            "extra": {"team_size": "50-200", "typeform_form_id": "lT4Z3j"},
        },
        timestamped=False,
    ),
    Case(
        "calendly",
        "calendly_invitee_created.json",
        signing.calendly,
        {
            "email": "tomas.herrera@globex.com",
            "company": "Globex",
            "phone": "+1 312 555 0144",
            "utm": {"campaign": "pricing-page", "source": "google", "medium": "cpc"},
        },
    ),
    Case(
        "hubspot",
        "hubspot_contact.json",
        signing.hubspot,
        {"email": "mei.tanaka@initech.com", "title": "Director of Sales", "first_name": "Mei"},
    ),
    Case(
        "webflow",
        "webflow_form_submission.json",
        signing.webflow,
        {
            "email": "grace@starklogistics.com",
            "phone": "4915123456789",
            "company": "Stark Logistics",
            "first_name": "Grace",
            "last_name": "Oyelaran",
        },
    ),
    Case(
        "webflow-dashboard",
        "webflow_form_submission.json",
        signing.unsigned_json,
        {"email": "grace.dash@starklogistics.com", "company": "Stark Logistics"},
        timestamped=False,
        body_signed=False,
        url_token=True,
    ),
    Case(
        "unbounce",
        "unbounce_data.json",
        signing.unbounce,
        {
            "email": "ana.souza@umbrellahealth.com",
            "company": "Umbrella Health",
            "title": "Head of Growth",
            "utm": {"source": "newsletter"},
        },
        timestamped=False,
        body_signed=False,
        url_token=True,
    ),
    Case(
        "instantly",
        "instantly_reply_received.json",
        signing.outreach,
        {},
        timestamped=False,
        body_signed=False,
        activity="email_replied",
    ),
]


def url_for(capture: str, case: Case, secret: str) -> str:
    url = f"{capture}/v1/webhooks/{case.source}"
    return f"{url}?token={secret}" if case.url_token else url


async def post(
    capture: str,
    case: Case,
    body: bytes,
    *,
    secret: str | None = None,
    at: datetime | None = None,
    tamper: bool = False,
) -> httpx.Response:
    secret = secret if secret is not None else SECRETS[case.source]
    url = url_for(capture, case, secret)
    headers = case.signer(secret, body, at or datetime.now(UTC), url)
    if tamper:
        body = body.replace(b"@", b"@x", 1)
    async with httpx.AsyncClient() as http:
        return await http.post(url, content=body, headers=headers)


async def stored(stack: Stack) -> tuple[int, int]:
    conn = await asyncpg.connect(stack.dsn)
    try:
        return (
            await conn.fetchval("SELECT count(*) FROM capture.receipts"),
            await conn.fetchval("SELECT count(*) FROM capture.outbox"),
        )
    finally:
        await conn.close()


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.source)
async def test_valid_sample_is_accepted_and_published(capture: str, stack: Stack, case: Case) -> None:
    response = await post(capture, case, case.body())
    assert response.status_code == 202, response.text
    lead_id = response.json()["lead_id"]
    topic = "lead.activity" if case.activity else "lead.captured"
    records = await read_topic(
        f"{stack.topic_prefix}{topic}", until=lambda rs: any(r.key == lead_id.encode() for r in rs)
    )
    events = [orjson.loads(r.value) for r in records if r.key == lead_id.encode()]
    if case.activity:
        assert events[-1]["data"]["kind"] == case.activity
        return
    fields = events[-1]["data"]["fields"]
    assert events[-1]["data"]["source"] == case.source
    for key, value in case.expect.items():
        assert fields[key] == value, (key, fields)

    before = await stored(stack)
    again = await post(capture, case, case.body())
    assert again.status_code == 202 and again.json() == response.json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert await stored(stack) == before, "a repeated delivery stores and publishes nothing new"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.source)
async def test_bad_signatures_are_refused_with_nothing_stored(capture: str, stack: Stack, case: Case) -> None:
    before = await stored(stack)
    wrong = await post(capture, case, case.body(), secret="wrong-secret-value")
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_signature"
    assert wrong.json()["fields"][0]["field"]
    if case.body_signed:
        tampered = await post(capture, case, case.body(), tamper=True)
        assert tampered.status_code == 401
    if case.timestamped:
        stale = await post(capture, case, case.body(), at=datetime.now(UTC) - timedelta(minutes=10))
        assert stale.status_code == 401 and ("window" in stale.text or "too old" in stale.text)
    assert await stored(stack) == before


async def test_webflow_app_source_refuses_an_unsigned_dashboard_delivery(capture: str, stack: Stack) -> None:
    """A source set up for app-signed webhooks takes no unsigned body, even with a token in the URL."""
    before = await stored(stack)
    body = (FIXTURES / "webflow_form_submission.json").read_bytes()
    async with httpx.AsyncClient() as http:
        response = await http.post(
            f"{capture}/v1/webhooks/webflow?token={SECRETS['webflow']}",
            content=body,
            headers={"Content-Type": "application/json"},
        )
    assert response.status_code == 401 and response.json()["fields"][0]["field"] == "x-webflow-signature"
    assert await stored(stack) == before


async def test_signed_but_unusable_payload_is_422_and_unknown_source_404(capture: str, stack: Stack) -> None:
    case = CASES[1]
    body = b'{"form_response": {"token": "t1", "answers": [{"type": "text", "text": "hi", "field": {"ref": "x"}}]}}'
    response = await post(capture, case, body)
    assert response.status_code == 422 and response.json()["fields"][0]["field"] == "answers"
    async with httpx.AsyncClient() as http:
        unknown = await http.post(f"{capture}/v1/webhooks/nosuchsource", content=b"{}")
    assert unknown.status_code == 404 and unknown.json()["fields"][0]["field"] == "source"


async def test_a_later_submission_for_the_same_email_enriches_the_same_lead(capture: str, stack: Stack) -> None:
    email = f"repeat+{datetime.now(UTC).timestamp():.0f}@initech.com"
    async with httpx.AsyncClient() as http:
        first = await http.post(
            f"{capture}/v1/webhooks/generic", json={"email": email, "name": "Kai Lund"}, headers=INTAKE
        )
        second = await http.post(
            f"{capture}/v1/webhooks/generic",
            json={"email": email.upper(), "title": "CTO", "name": "K. Lund"},
            headers=INTAKE,
        )
    assert first.json()["lead_id"] == second.json()["lead_id"]
    lead_id = first.json()["lead_id"]
    conn = await asyncpg.connect(stack.dsn)
    try:
        leads = await conn.fetchval("SELECT count(*) FROM capture.leads WHERE lower(email) = lower($1)", email)
        touches = [
            r["source"]
            for r in await conn.fetch(
                "SELECT source FROM capture.touches WHERE lead_id = $1::uuid ORDER BY id", lead_id
            )
        ]
    finally:
        await conn.close()
    assert leads == 1 and touches == ["website", "website"], "both touches by the key named website"
    records = await read_topic(
        f"{stack.topic_prefix}lead.captured", until=lambda rs: sum(r.key == lead_id.encode() for r in rs) >= 2
    )
    latest = [orjson.loads(r.value) for r in records if r.key == lead_id.encode()][-1]["data"]["fields"]
    assert (latest["name"], latest["title"]) == ("Kai Lund", "CTO"), "known values kept, empty ones filled"


def test_fixtures_are_the_vendor_shapes() -> None:
    assert Path(FIXTURES / "typeform_form_response.json").exists()
