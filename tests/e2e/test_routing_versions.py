"""Sales ops change routing without a restart: a version published while leads flow is applied by
both route instances between two batches. Every lead is decided by exactly one version and its
lead.assigned names it; none decided after the publish was acknowledged uses the old one; nothing
is lost or duplicated. An invalid draft is refused by field path; a restore publishes an older
version again; `leadrelay config push` publishes from a file; a restarted route reads the latest
version before its first batch."""

import asyncio
import os
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import yaml

from tests.support.kafka_io import read_topic
from tests.support.pipeline import Pipeline, run_pipeline
from tests.support.stack import INTAKE, OPS, ROOT, Stack

EXAMPLE = ROOT / "config" / "leadrelay.example.yaml"
OPS_KEY = OPS["X-API-Key"]


@pytest.fixture(scope="module")
def versioned(stack: Stack) -> Iterator[Pipeline]:
    logs = ROOT / ".local" / "test-logs" / "e2e-routing-versions"
    with run_pipeline(stack, logs, replicas={"route": 2}) as running:
        yield running


def document(moved: bool) -> dict[str, Any]:
    """The example's routing part; `moved`: chen leaves inbound (where these leads, from a small
    company, are routed) for enterprise. The leads go to reps without caps: the session's database
    is shared, and hundreds of leads for a capped rep (erin) would leave her at her cap for the
    modules after this one."""
    raw = yaml.safe_load(EXAMPLE.read_text())
    doc = {k: raw[k] for k in ("reps", "pools", "accounts", "routing", "scoring") if k in raw}
    if moved:
        inbound, enterprise = doc["pools"]
        inbound["members"] = ["alice", "bruno"]
        enterprise["members"] = [*enterprise["members"], {"rep": "chen", "weight": 1}]
    return doc


async def post_leads(p: Pipeline, tags: list[str], per_second: float) -> None:
    async with httpx.AsyncClient(timeout=30) as http:
        start = time.monotonic()
        sends = []
        for i, tag in enumerate(tags):
            lead = {"email": f"vera+{tag}@initech.com", "name": "Vera Version", "title": "VP of Engineering"}
            sends.append(asyncio.create_task(http.post(f"{p.capture}/v1/webhooks/generic", json=lead, headers=INTAKE)))
            await asyncio.sleep(max(0.0, start + (i + 1) / per_second - time.monotonic()))
        answers = await asyncio.gather(*sends)
    assert [a.status_code for a in answers] == [202] * len(tags)


async def assignments(p: Pipeline, tags: set[str], settle: float = 2.0) -> dict[str, list[dict[str, Any]]]:
    """lead.assigned events per tag, once every tag has one (and `settle` more seconds for repeats)."""

    def by_tag(records: list[Any]) -> dict[str, list[dict[str, Any]]]:
        found: dict[str, list[dict[str, Any]]] = {t: [] for t in tags}
        for r in records:
            event = orjson.loads(r.value)
            tag = str(event["data"]["lead"]["email"]).split("+")[-1].split("@")[0]
            if tag in found:
                found[tag].append(event)
        return found

    records = await read_topic(
        f"{p.topic_prefix}lead.assigned", lambda rs: all(by_tag(rs).values()), timeout=120, settle=settle
    )
    return by_tag(records)


async def publish(http: httpx.AsyncClient, p: Pipeline, doc: dict[str, Any], message: str) -> httpx.Response:
    return await http.post(f"{p.route}/v1/config/versions", json={"document": doc, "message": message}, headers=OPS)


async def test_a_version_published_under_load_decides_every_lead_after_its_acknowledgement(
    versioned: Pipeline,
) -> None:
    first = [uuid.uuid4().hex[:10] for _ in range(60)]
    await post_leads(versioned, first, per_second=60)
    before = await assignments(versioned, set(first), settle=0)
    assert {e["data"]["config_version"] for es in before.values() for e in es} == {0}, "the file's own version"

    second = [uuid.uuid4().hex[:10] for _ in range(600)]
    flow = asyncio.create_task(post_leads(versioned, second, per_second=300))
    await asyncio.sleep(0.7)
    async with httpx.AsyncClient(timeout=30) as http:
        answer = await publish(http, versioned, document(moved=True), "chen moves to enterprise")
        acknowledged = datetime.now().astimezone()
    assert answer.status_code == 201, answer.text
    published = answer.json()
    assert published["author"] == "ops" and published["pending"] == []
    routes = [a for a in published["applied"] if a["service"] == "route"]
    assert len(routes) == 2 and all(a["version"] == published["id"] for a in routes), published["applied"]
    assert {"path": "pools.inbound.members.chen", "before": {"rep": "chen", "weight": 1}, "after": None} in published[
        "diff"
    ]
    await flow

    decided = await assignments(versioned, set(second))
    counts = Counter(len(es) for es in decided.values())
    assert counts == Counter({1: len(second)}), f"each lead assigned exactly once: {counts}"
    events = [es[0] for es in decided.values()]
    versions = Counter(e["data"]["config_version"] for e in events)
    assert set(versions) <= {0, published["id"]}, versions
    late = [e for e in events if datetime.fromisoformat(e["occurred_at"]) > acknowledged]
    assert late and all(e["data"]["config_version"] == published["id"] for e in late), "no old version after the ack"
    spread = Counter((e["data"]["config_version"], e["data"]["pool_id"], e["data"]["rep"]["id"]) for e in events)
    new_inbound = {rep for (v, pool, rep) in spread if v == published["id"] and pool == "inbound"}
    assert new_inbound and "chen" not in new_inbound, f"the new version routes inbound leads past chen: {spread}"
    assert {pool for (_, pool, _) in spread} == {"inbound"}, spread


async def test_an_invalid_draft_is_refused_by_field_and_a_restore_publishes_an_older_version(
    versioned: Pipeline,
) -> None:
    async with httpx.AsyncClient(timeout=30) as http:
        broken = document(moved=False)
        broken["pools"][0]["members"] = ["alice", "nobody"]
        refused = await publish(http, versioned, broken, "typo")
        assert refused.status_code == 422
        assert {"field": "document.pools.0.members.1.rep", "message": "pool 'inbound' names unknown rep 'nobody'"} in (
            refused.json()["fields"]
        )
        overlapping = document(moved=False)
        erin = next(r for r in overlapping["reps"] if r["id"] == "erin")
        erin["caps"] = {"day": 200, "week": 150}
        caps = await publish(http, versioned, overlapping, "caps")
        assert caps.status_code == 422
        assert caps.json()["fields"] == [
            {
                "field": f"document.reps.{overlapping['reps'].index(erin)}.caps",
                "message": "the day cap (200) exceeds the week cap (150)",
            }
        ]
        no_message = await http.post(f"{versioned.route}/v1/config/versions", json={"document": broken}, headers=OPS)
        assert no_message.status_code == 422 and "message" in str(no_message.json())
        intake_key = await http.post(
            f"{versioned.route}/v1/config/versions",
            json={"document": document(moved=False), "message": "x"},
            headers=INTAKE,
        )
        assert intake_key.status_code == 403, "publishing takes the ops:write scope"

        assert (await publish(http, versioned, document(moved=True), "chen to enterprise")).status_code == 201
        listed = (await http.get(f"{versioned.route}/v1/config/versions", headers=OPS)).json()["versions"]
        oldest = listed[-1]
        restored = await http.post(
            f"{versioned.route}/v1/config/versions/{oldest['id']}/restore", json={"message": "roll back"}, headers=OPS
        )
        assert restored.status_code == 201, restored.text
        assert restored.json()["restores"] == oldest["id"] and restored.json()["id"] > listed[0]["id"]
        current = (await http.get(f"{versioned.route}/v1/config/current", headers=OPS)).json()
        assert current["version"] == restored.json()["id"] == current["in_force_here"]
        missing = await http.post(
            f"{versioned.route}/v1/config/versions/999999/restore", json={"message": "x"}, headers=OPS
        )
        assert missing.status_code == 404


async def test_config_push_publishes_a_file_and_a_restarted_route_starts_with_it(
    versioned: Pipeline, tmp_path: Path
) -> None:
    raw = yaml.safe_load(EXAMPLE.read_text())
    maya = next(r for r in raw["reps"] if r["id"] == "maya")
    maya["caps"] = {"day": 7}
    pushed = tmp_path / "leadrelay.yaml"
    pushed.write_text(yaml.safe_dump(raw, sort_keys=False))
    env = {**os.environ, "LEADRELAY_ROUTE_URL": versioned.route, "LEADRELAY_OPS_KEY": OPS_KEY}
    cli = [str(ROOT / ".venv" / "bin" / "leadrelay"), "config", "push", str(pushed), "-m", "from CI"]
    done = subprocess.run(cli, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "published version" in done.stdout and "reps.maya.caps.day: null -> 7" in done.stdout

    route = versioned.services["route"]
    route.stop()
    route.start()
    route.wait_ready(f"{versioned.route}/readyz")
    async with httpx.AsyncClient(timeout=30) as http:
        current = (await http.get(f"{versioned.route}/v1/config/current", headers=OPS)).json()
        listed = (await http.get(f"{versioned.route}/v1/config/versions", headers=OPS)).json()["versions"]
    assert current["in_force_here"] == listed[0]["id"] and listed[0]["message"] == "from CI"
