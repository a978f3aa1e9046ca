"""route as real processes (two instances): SLA clocks that reassign, then escalate, across a restart;
claims that stop the clock; and simulate / replay that write nothing."""

import asyncio
import subprocess
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import orjson
import pytest
import yaml

from shared.events import LeadScoredEvent, serialize_event
from shared.kafka import ensure_topics, topic_name
from tests.support.events import scored_event
from tests.support.inprocess import free_port
from tests.support.kafka_io import produce, read_topic
from tests.support.processes import Proc, service
from tests.support.report import report
from tests.support.stack import NOTIFY_KEY, OPS, ROOT, Stack

SLA_SECONDS = 3.0
CONFIG = {
    "reps": [
        {"id": "alice", "name": "Alice", "slack": "U1"},
        {"id": "bruno", "name": "Bruno", "slack": "U2"},
        {"id": "chen", "name": "Chen", "slack": "U3"},
        {"id": "maya", "name": "Maya", "slack": "U4"},
    ],
    "pools": [{"id": "inbound", "members": ["alice", "bruno", "chen"], "manager": "maya"}],
    "routing": {
        "default_pool": "inbound",
        "rules": [
            {
                "id": "fast",
                "when": [{"field": "lead.email", "contains": "@sla-"}],
                "pool": "inbound",
                "sla_minutes": SLA_SECONDS / 60,
            }
        ],
        "sla": {"max_attempts": 2, "by_grade": {"A": 60}, "default_minutes": 60},
    },
}


class RouteCluster:
    def __init__(self, stack: Stack, prefix: str, config_path: Path) -> None:
        self.env = stack.env(LEADRELAY_TOPIC_PREFIX=prefix, LEADRELAY_CONFIG=str(config_path))
        self.procs: list[Proc] = []
        self.urls: list[str] = []

    def start(self, index: int | None = None) -> None:
        port = free_port()
        proc = service("route", port, self.env, ROOT / ".local" / "test-logs" / "route-sla").start()
        proc.wait_ready(f"http://127.0.0.1:{port}/readyz")
        if index is None:
            self.procs.append(proc)
            self.urls.append(f"http://127.0.0.1:{port}")
        else:
            self.procs[index], self.urls[index] = proc, f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
async def cluster(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RouteCluster]:
    prefix = f"{stack.topic_prefix}sla{uuid.uuid4().hex[:4]}."
    await ensure_topics(stack.settings(prefix))
    path = tmp_path_factory.mktemp("route") / "sla.yaml"
    path.write_text(yaml.safe_dump(CONFIG))
    c = RouteCluster(stack, prefix, path)
    await asyncio.to_thread(c.start)
    await asyncio.to_thread(c.start)
    c.prefix = prefix  # type: ignore[attr-defined]
    yield c
    for proc in c.procs:
        assert await asyncio.to_thread(proc.stop), proc.tail()


async def assigned_events(prefix: str, lead_id: uuid.UUID, count: int, timeout: float = 60) -> list[dict[str, object]]:
    records = await read_topic(
        f"{prefix}lead.assigned",
        until=lambda rs: (
            len({orjson.loads(r.value)["data"]["attempt"] for r in rs if r.key == str(lead_id).encode()}) >= count
        ),
        timeout=timeout,
    )
    by_attempt = {}
    for r in records:
        if r.key == str(lead_id).encode():
            event = orjson.loads(r.value)
            by_attempt[event["data"]["attempt"]] = event["data"]
    return [by_attempt[a] for a in sorted(by_attempt)]


async def test_unclaimed_lead_is_reassigned_then_escalated_across_a_restart(
    cluster: RouteCluster, stack: Stack
) -> None:
    prefix = cluster.prefix  # type: ignore[attr-defined]
    event = scored_event(90, email=f"dana@sla-{uuid.uuid4().hex[:6]}.com")
    await produce(
        topic_name(stack.settings(prefix), "lead.scored"), serialize_event(event), str(event.lead_id).encode()
    )
    [first] = await assigned_events(prefix, event.lead_id, 1)

    await asyncio.to_thread(cluster.procs[0].stop)
    await asyncio.to_thread(cluster.start, 0)

    first_, second, third = await assigned_events(prefix, event.lead_id, 3)
    assert first_ == first
    assert second["rep"]["id"] != first["rep"]["id"], "never back to a rep who already had the lead"  # type: ignore[index]
    assert "did not claim in time" in str(second["reason"])
    assert (third["outcome"], third["rep"]["id"]) == ("escalated", "maya")  # type: ignore[index]

    conn = await asyncpg.connect(stack.dsn)
    try:
        rows = await conn.fetch(
            "SELECT attempt, status, outcome, sla_due_at, created_at FROM route.assignments WHERE lead_id = $1"
            " ORDER BY attempt",
            event.lead_id,
        )
    finally:
        await conn.close()
    assert [(r["attempt"], r["status"], r["outcome"]) for r in rows] == [
        (1, "expired", "assigned"),
        (2, "expired", "assigned"),
        (3, "pending", "escalated"),
    ]
    delays = [(rows[i + 1]["created_at"] - rows[i]["sla_due_at"]).total_seconds() for i in range(2)]
    report(
        f"SLA timer fire delay after due time, two route instances: {delays[0]:.2f} s (restart in between), "
        f"{delays[1]:.2f} s"
    )
    assert all(d >= 0 for d in delays)
    assert delays[1] < 5, "fired promptly with both instances up"


async def route_a_sales_ready_lead(
    cluster: RouteCluster, stack: Stack, name: str
) -> tuple[LeadScoredEvent, dict[str, object]]:
    """A score-90 lead produced to the cluster's lead.scored, and its first assignment."""
    prefix = cluster.prefix  # type: ignore[attr-defined]
    event = scored_event(90, email=f"{name}@sla-{uuid.uuid4().hex[:6]}.com")
    await produce(
        topic_name(stack.settings(prefix), "lead.scored"), serialize_event(event), str(event.lead_id).encode()
    )
    [assigned] = await assigned_events(prefix, event.lead_id, 1)
    return event, assigned


async def test_first_claim_wins_stops_the_clock_and_is_acknowledged(cluster: RouteCluster, stack: Stack) -> None:
    prefix = cluster.prefix  # type: ignore[attr-defined]
    event, assigned = await route_a_sales_ready_lead(cluster, stack, "eve")
    owner = assigned["rep"]["id"]  # type: ignore[index]
    other = next(r for r in ("alice", "bruno", "chen") if r != owner)
    url = f"{cluster.urls[1]}/v1/assignments/{assigned['assignment_id']}/claim"
    async with httpx.AsyncClient(headers={"X-API-Key": NOTIFY_KEY}) as http:
        wrong = await http.post(url, json={"rep_id": other})
        first = await http.post(url, json={"rep_id": owner, "via": "slack"})
        again = await http.post(
            f"{cluster.urls[0]}/v1/assignments/{assigned['assignment_id']}/claim", json={"rep_id": owner}
        )
        late = await http.post(url, json={"rep_id": other})
        unknown = await http.post(f"{cluster.urls[0]}/v1/assignments/{uuid.uuid4()}/claim", json={"rep_id": owner})
        malformed = await http.post(f"{cluster.urls[0]}/v1/assignments/not-a-uuid/claim", json={"rep_id": owner})
    assert wrong.status_code == 409 and wrong.json()["error"] == "not_assigned_to_rep"
    assert first.status_code == 200 and first.json()["claimed_by"] == owner
    assert again.status_code == 200 and again.json() == first.json()
    assert late.status_code == 409 and late.json()["error"] == "already_claimed"
    assert unknown.status_code == 404 and unknown.json()["fields"][0]["field"] == "assignment_id"
    assert malformed.status_code == 422 and malformed.json()["fields"][0]["field"] == "assignment_id"

    acks = await read_topic(
        f"{prefix}lead.acknowledged",
        until=lambda rs: any(r.key == str(event.lead_id).encode() for r in rs),
        settle=SLA_SECONDS + 1.5,
    )
    mine = [orjson.loads(r.value)["data"] for r in acks if r.key == str(event.lead_id).encode()]
    assert [(a["rep_id"], a["via"]) for a in mine] == [(owner, "slack")]
    after_due = await assigned_events(prefix, event.lead_id, 1)
    assert len(after_due) == 1, "a claimed lead is not reassigned when its SLA passes"


async def route_row_counts(stack: Stack) -> dict[str, int]:
    conn = await asyncpg.connect(stack.dsn)
    try:
        tables = [
            "assignments",
            "pool_members",
            "pools",
            "reps",
            "rep_status",
            "account_owners",
            "routing_inputs",
            "nurtured",
        ]
        counts = {t: await conn.fetchval(f"SELECT count(*) FROM route.{t}") for t in tables}
        counts["credits"] = await conn.fetchval("SELECT coalesce(sum(abs(credit)), 0) FROM route.pool_members")
        return counts
    finally:
        await conn.close()


async def test_simulate_and_replay_write_nothing(cluster: RouteCluster, stack: Stack, tmp_path: Path) -> None:
    before = await route_row_counts(stack)
    async with httpx.AsyncClient(headers=OPS) as http:
        sim = await http.post(
            f"{cluster.urls[0]}/v1/routing/simulate",
            json={
                "email": "x@sla-sim.com",
                "fit": 80,
                "grade": "A1",
                "company": {
                    "name": "Sim",
                    "domain": "sla-sim.com",
                    "industry": "Software",
                    "employees": 10,
                    "country": "US",
                },
            },
        )
        bad = await http.post(f"{cluster.urls[0]}/v1/routing/simulate", json={"fit": "lots"})
    assert sim.status_code == 200, sim.text
    body = sim.json()
    assert body["outcome"] == "assigned" and body["rule_id"] == "fast" and body["rep_id"] in {"alice", "bruno", "chen"}
    assert any("candidates" in line for line in body["trace"])
    assert bad.status_code == 422 and bad.json()["fields"][0]["field"] == "fit"

    candidate = {**CONFIG, "pools": [{"id": "inbound", "members": ["chen"], "manager": "maya"}]}
    path = tmp_path / "candidate.yaml"
    path.write_text(yaml.safe_dump(candidate))
    result = await asyncio.to_thread(
        subprocess.run,
        [str(ROOT / ".venv/bin/leadrelay"), "replay", "--since", "1d", "--config", str(path)],
        env=cluster.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "Replay of" in result.stdout and "chen" in result.stdout
    assert "Leads whose owner would change:" in result.stdout
    assert await route_row_counts(stack) == before


async def test_route_api_needs_keys_with_scopes_and_a_claimer_who_may(cluster: RouteCluster, stack: Stack) -> None:
    event, assigned = await route_a_sales_ready_lead(cluster, stack, "mgr")
    base = cluster.urls[0]
    url = f"{base}/v1/assignments/{assigned['assignment_id']}/claim"
    async with httpx.AsyncClient() as http:
        anonymous = await http.post(url, json={"rep_id": "maya"})
        wrong_scope = await http.post(url, json={"rep_id": "maya"}, headers=OPS)
        no_rep = await http.post(url, json={}, headers={"X-API-Key": NOTIFY_KEY})
        by_manager = await http.post(url, json={"rep_id": "maya"}, headers={"Authorization": f"Bearer {NOTIFY_KEY}"})
        trace_anonymous = await http.get(f"{base}/v1/leads/{event.lead_id}/routing")
        trace = await http.get(f"{base}/v1/leads/{event.lead_id}/routing", headers=OPS)
        pause_anonymous = await http.post(f"{base}/v1/reps/alice/pause")
        traversal = await http.post(f"{base}/v1/reps/..%2Freps%2Falice/pause", headers=OPS)
        metrics_anonymous = await http.get(f"{base}/metrics")
        metrics = await http.get(f"{base}/metrics", headers={"Authorization": f"Bearer {OPS['X-API-Key']}"})
    assert anonymous.status_code == 401 and anonymous.json()["fields"][0]["field"] == "X-API-Key"
    assert wrong_scope.status_code == 403
    assert no_rep.status_code == 422 and no_rep.json()["fields"][0]["field"] == "rep_id"
    assert by_manager.status_code == 200 and by_manager.json()["claimed_by"] == "maya", "the pool's manager may claim"
    assert trace_anonymous.status_code == 401 and trace.status_code == 200
    assert trace.json()["decisions"][0]["claimed_by"] == "maya"
    assert pause_anonymous.status_code == 401 and traversal.status_code in (404, 422)
    assert metrics_anonymous.status_code == 401 and b"leadrelay_" in metrics.content
