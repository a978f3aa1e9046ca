"""Group commit for single behaviour events, against a real capture process and PostgreSQL: 155
concurrent `POST /v1/events` (new and known people, unknown lead ids), then 20 of them sent again,
are written in shared transactions, and each request still gets exactly its own answer: one outbox
row per distinct event, one lead per new email, a resent event answered as a replay with the first
answer, an unknown lead id refused with 422."""

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
    proc = service("capture", port, stack.env(), ROOT / ".local" / "test-logs" / "group-commit")
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
