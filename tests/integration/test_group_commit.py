"""Group commit against a real capture process and PostgreSQL: concurrent requests are written in
shared transactions, and each request still gets exactly its own answer.

- Behaviour events: 155 concurrent `POST /v1/events` (new and known people, unknown lead ids), then
  20 of them sent again: one outbox row per distinct event, one lead per new email, a resent event
  answered as a replay with the first answer, an unknown lead id refused with 422.
- Leads: 150 concurrent generic leads (new people, a delivery sent twice at once, a person sent
  twice with more to say, and three over the message limit): one lead per person, a repeated
  delivery answered as a replay with the same lead, the second touch updating the first lead, and
  the oversized ones refused with 422 without failing the leads that shared their transaction."""

import asyncio
import re
import uuid
from collections.abc import Iterator, Mapping

import asyncpg
import httpx
import pytest

from tests.support.inprocess import free_port
from tests.support.processes import service
from tests.support.stack import INTAKE, OPS, ROOT, Stack


@pytest.fixture(scope="module")
def capture(stack: Stack) -> Iterator[str]:
    port = free_port()
    env = {**stack.env(), "LEADRELAY_MAX_MESSAGE_BYTES": "20000"}
    proc = service("capture", port, env, ROOT / ".local" / "test-logs" / "group-commit")
    proc.start().wait_ready(f"http://127.0.0.1:{port}/readyz")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        assert proc.stop(), proc.tail()


async def test_concurrent_events_share_transactions_and_each_gets_its_own_answer(capture: str, stack: Stack) -> None:
    tag = uuid.uuid4().hex[:8]
    emails = [f"gc{i}.{tag}@initech.com" for i in range(30)]
    events: list[dict[str, object]] = [
        {"kind": "page_view", "email": emails[i % 30], "event_id": f"ev-{tag}-{i}", "properties": {"url": f"/p/{i}"}}
        for i in range(150)
    ]
    unknown: list[dict[str, object]] = [{"kind": "page_view", "lead_id": str(uuid.uuid4())} for _ in range(5)]
    limit = asyncio.Semaphore(40)

    async def post(http: httpx.AsyncClient, body: Mapping[str, object]) -> httpx.Response:
        async with limit:
            return await http.post(f"{capture}/v1/events", json=body, headers=INTAKE)

    async with httpx.AsyncClient(timeout=30) as http:
        first = await asyncio.gather(*(post(http, e) for e in [*events, *unknown]))
        again = await asyncio.gather(*(post(http, e) for e in events[:20]))
        metrics = (await http.get(f"{capture}/metrics", headers=OPS)).text

    answers = first[: len(events)]
    assert all(r.status_code == 202 for r in answers), {r.status_code for r in answers}
    assert all(r.status_code == 422 and r.json()["fields"][0]["field"] == "lead_id" for r in first[len(events) :])
    assert all(a.status_code == 202 and a.headers.get("Idempotent-Replayed") == "true" for a in again)
    assert [a.json()["event_id"] for a in again] == [r.json()["event_id"] for r in answers[:20]]
    lead_of: dict[str, set[str]] = {str(e["email"]): set() for e in events}
    for e, r in zip(events, answers, strict=True):
        lead_of[str(e["email"])].add(r.json()["lead_id"])
    assert all(len(ids) == 1 for ids in lead_of.values()), "one lead per person, however concurrent"

    conn = await asyncpg.connect(stack.dsn)
    try:
        leads = await conn.fetchval("SELECT count(*) FROM capture.leads WHERE email = ANY($1::text[])", emails)
        outbox = await conn.fetchval(
            "SELECT count(*) FROM capture.outbox WHERE topic LIKE '%lead.activity' AND key = ANY($1::text[])",
            sorted({i for ids in lead_of.values() for i in ids}),
        )
    finally:
        await conn.close()
    assert leads == 30 and outbox == 150, (leads, outbox)

    sizes = dict(re.findall(r'^leadrelay_event_group_commit_size_bucket\{le="([^"]+)"\} (\S+)$', metrics, re.M))
    assert float(sizes["+Inf"]) < 175, "fewer transactions than requests: requests were written together"


async def test_concurrent_leads_share_transactions_and_each_gets_its_own_answer(capture: str, stack: Stack) -> None:
    tag = uuid.uuid4().hex[:8]
    new = [{"email": f"lg{i}.{tag}@initech.com", "company": "Initech"} for i in range(100)]
    twice = [{"email": f"tw{i}.{tag}@initech.com"} for i in range(15)]
    more = [{"email": f"lg{i}.{tag}@initech.com", "title": "VP Sales"} for i in range(15)]
    fat = [{"email": f"fat{i}.{tag}@initech.com", **{f"f{j}": "y" * 3900 for j in range(8)}} for i in range(3)]
    limit = asyncio.Semaphore(48)

    async def post(http: httpx.AsyncClient, body: Mapping[str, object], key: str | None = None) -> httpx.Response:
        headers = {**INTAKE, **({"Idempotency-Key": key} if key else {})}
        async with limit:
            return await http.post(f"{capture}/v1/webhooks/generic", json=body, headers=headers)

    async with httpx.AsyncClient(timeout=30) as http:
        firsts = await asyncio.gather(
            *(post(http, b) for b in new[:50]),
            *(post(http, b, key=f"k-{tag}-{i}") for i, b in enumerate(twice)),
            *(post(http, b) for b in fat),
            *(post(http, b, key=f"k-{tag}-{i}") for i, b in enumerate(twice)),
            *(post(http, b) for b in new[50:]),
        )
        touches = await asyncio.gather(*(post(http, b) for b in more))
        metrics = (await http.get(f"{capture}/metrics", headers=OPS)).text

    by_email: dict[str, set[str]] = {}
    replays = 0
    for body, r in zip([*new[:50], *twice, *fat, *twice, *new[50:]], firsts, strict=True):
        if str(body["email"]).startswith("fat"):
            assert r.status_code == 422 and r.json()["error"] == "too_large", r.text
            continue
        assert r.status_code == 202, r.text
        replays += r.headers.get("Idempotent-Replayed") == "true"
        by_email.setdefault(str(body["email"]), set()).add(r.json()["lead_id"])
    assert replays == 15, "each delivery sent twice at once is answered once as new, once as a replay"
    assert all(len(ids) == 1 for ids in by_email.values()), "a replay names the same lead"
    for body, r in zip(more, touches, strict=True):
        assert r.status_code == 202 and {r.json()["lead_id"]} == by_email[str(body["email"])]

    conn = await asyncpg.connect(stack.dsn)
    try:
        leads = await conn.fetch(
            "SELECT email, fields->>'title' AS title FROM capture.leads WHERE email LIKE $1", f"%.{tag}@initech.com"
        )
        captured = await conn.fetchval(
            "SELECT count(*) FROM capture.outbox WHERE topic LIKE '%lead.captured' AND key = ANY($1::text[])",
            sorted({i for ids in by_email.values() for i in ids}),
        )
    finally:
        await conn.close()
    assert len(leads) == 115 and not any(r["email"].startswith("fat") for r in leads), len(leads)
    assert sum(r["title"] == "VP Sales" for r in leads) == 15, "the second touch filled the lead's title"
    assert captured == 115 + 15, "one lead.captured per new lead and one per profile update"

    sizes = dict(re.findall(r'^leadrelay_lead_group_commit_size_bucket\{le="([^"]+)"\} (\S+)$', metrics, re.M))
    assert float(sizes["+Inf"]) < 133, "fewer transactions than requests: requests were written together"
