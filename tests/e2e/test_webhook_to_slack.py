"""A lead posted to capture ends as one Slack message for the rep route chose."""

import asyncio
import statistics
import time
import uuid
from collections import Counter
from typing import Any

import asyncpg
import httpx
import orjson

from tests.support.kafka_io import read_topic
from tests.support.pipeline import Pipeline
from tests.support.report import report
from tests.support.stack import INTAKE, OPS, Stack

REP_SLACK = {"alice": "U01ALICE", "bruno": "U01BRUNO", "chen": "U01CHEN", "erin": "U01ERIN", "maya": "U01MAYA"}


async def alerts_for(slack: str, tags: set[str], settle: float = 1.5, timeout: float = 60) -> dict[str, list[Any]]:
    """Stand-in messages per tag (a unique string in each lead's email), once every tag has one and
    `settle` seconds have passed without change, so duplicates would be seen."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    found: dict[str, list[Any]] = {}
    async with httpx.AsyncClient() as http:
        while loop.time() < deadline:
            messages = (await http.get(f"{slack}/_standin/messages")).json()
            found = {t: [m for m in messages if t in m["body"]["text"] or t in str(m["body"]["blocks"])] for t in tags}
            if all(found.values()):
                await asyncio.sleep(settle)
                messages = (await http.get(f"{slack}/_standin/messages")).json()
                return {t: [m for m in messages if t in str(m["body"])] for t in tags}
            await asyncio.sleep(0.05)
    missing = [t for t, ms in found.items() if not ms]
    raise AssertionError(f"{len(missing)} of {len(tags)} leads never reached Slack, e.g. {missing[:3]}")


async def assigned_reps(stack: Stack, lead_ids: list[str]) -> dict[str, str]:
    conn = await asyncpg.connect(stack.dsn)
    try:
        rows = await conn.fetch(
            "SELECT lead_id::text, rep_id FROM route.assignments WHERE lead_id = ANY($1::uuid[])", lead_ids
        )
    finally:
        await conn.close()
    return {r["lead_id"]: r["rep_id"] for r in rows}


async def test_one_webhook_produces_exactly_one_alert_for_the_assigned_rep(pipeline: Pipeline, stack: Stack) -> None:
    tag = uuid.uuid4().hex[:10]
    lead = {"email": f"sam.okafor+{tag}@hooli.com", "name": "Sam Okafor", "title": "Head of Data", "source": "website"}
    async with httpx.AsyncClient() as http:
        response = await http.post(f"{pipeline.capture}/v1/webhooks/generic", json=lead, headers=INTAKE)
    assert response.status_code == 202
    lead_id = response.json()["lead_id"]

    [alert] = (await alerts_for(pipeline.slack, {tag}))[tag]

    rep = (await assigned_reps(stack, [lead_id]))[lead_id]
    assert alert["channel"] == REP_SLACK[rep]
    text = str(alert["body"])
    for expected in ("Sam Okafor", "Hooli", "Head of Data", "Senior decision-maker title", "Enterprise company size"):
        assert expected in text


async def test_a_hundred_concurrent_leads_are_all_alerted_once_and_balanced(pipeline: Pipeline, stack: Stack) -> None:
    tags = [uuid.uuid4().hex[:10] for _ in range(100)]
    sent_at: dict[str, float] = {}
    lead_ids: list[str] = []

    async def post(http: httpx.AsyncClient, tag: str) -> None:
        sent_at[tag] = time.time()
        body = {"email": f"lead+{tag}@initech.com", "name": f"Lead {tag}", "title": "VP Sales"}
        response = await http.post(f"{pipeline.capture}/v1/webhooks/generic", json=body, headers=INTAKE)
        assert response.status_code == 202, response.text
        lead_ids.append(response.json()["lead_id"])

    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=100)) as http:
        await asyncio.gather(*(post(http, t) for t in tags))

    alerts = await alerts_for(pipeline.slack, set(tags))

    assert all(len(ms) == 1 for ms in alerts.values()), "each lead alerted exactly once"
    reps = await assigned_reps(stack, lead_ids)
    assert len(reps) == 100
    per_channel = Counter(ms[0]["channel"] for ms in alerts.values())
    assert per_channel == Counter(REP_SLACK[r] for r in reps.values())
    assert max(per_channel.values()) - min(per_channel.values()) <= 1, per_channel

    latencies = sorted((alerts[t][0]["received_at"] - sent_at[t]) * 1000 for t in tags)
    report(
        "e2e webhook -> Slack alert latency, 100 concurrent leads (ms, each lead): "
        + " ".join(f"{v:.0f}" for v in latencies)
    )
    report(
        f"e2e latency summary: p50 {statistics.median(latencies):.0f} ms, "
        f"p95 {latencies[94]:.0f} ms, max {latencies[-1]:.0f} ms"
    )


def metric(body: str, name: str, **labels: str) -> float:
    """The value of one Prometheus sample, matched by name and (a subset of) its labels."""
    for line in body.splitlines():
        if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def test_speed_to_lead_and_http_requests_are_measured(pipeline: Pipeline) -> None:
    async with httpx.AsyncClient() as http:
        before_notify = (await http.get(f"{pipeline.notify}/metrics", headers=OPS)).text
        before_capture = (await http.get(f"{pipeline.capture}/metrics", headers=OPS)).text
        tag = uuid.uuid4().hex[:10]
        lead = {"email": f"metrics+{tag}@hooli.com", "name": "Metric Lead", "title": "VP Sales"}
        assert (
            await http.post(f"{pipeline.capture}/v1/webhooks/generic", json=lead, headers=INTAKE)
        ).status_code == 202
        await alerts_for(pipeline.slack, {tag}, settle=0.5)
        await asyncio.sleep(0.5)
        after_notify = (await http.get(f"{pipeline.notify}/metrics", headers=OPS)).text
        after_capture = (await http.get(f"{pipeline.capture}/metrics", headers=OPS)).text
    count = "leadrelay_speed_to_lead_seconds_count"
    assert metric(after_notify, count, source="website", channel="slack") == (
        metric(before_notify, count, source="website", channel="slack") + 1
    )
    fast = "leadrelay_speed_to_lead_seconds_bucket"
    assert metric(after_notify, fast, channel="slack", le="10.0") > metric(
        before_notify, fast, channel="slack", le="10.0"
    )
    requests = "leadrelay_http_requests_total"
    webhook = {"method": "POST", "route": "/v1/webhooks/generic", "status": "202"}
    assert metric(after_capture, requests, **webhook) == metric(before_capture, requests, **webhook) + 1


async def test_the_request_id_is_the_leads_correlation_id_all_the_way_to_its_assignment(pipeline: Pipeline) -> None:
    request_id = str(uuid.uuid4())
    tag = uuid.uuid4().hex[:10]
    lead = {"email": f"corr+{tag}@hooli.com", "name": "Corr Lead", "title": "VP Sales"}
    async with httpx.AsyncClient() as http:
        response = await http.post(
            f"{pipeline.capture}/v1/webhooks/generic", json=lead, headers={**INTAKE, "X-Request-ID": request_id}
        )
        plain = await http.post(f"{pipeline.capture}/v1/webhooks/generic", json={"email": "x"}, headers=INTAKE)
    assert response.status_code == 202 and response.headers["x-request-id"] == request_id
    assert uuid.UUID(plain.headers["x-request-id"]), "a request without an id gets one"
    lead_id = response.json()["lead_id"].encode()
    assigned = await read_topic(
        f"{pipeline.topic_prefix}lead.assigned", until=lambda rs: any(r.key == lead_id for r in rs), timeout=30
    )
    [event] = [orjson.loads(r.value) for r in assigned if r.key == lead_id]
    assert event["correlation_id"] == request_id
