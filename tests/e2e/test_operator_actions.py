"""Sales ops pause a whole pool from the console: a lead for it is held (its trace says who paused
the pool; the pool's manager is not escalated to), the pause and the resume are in route's audit
log and on the console's audit page with who did them; a rep paused by ops says so in the trace."""

import asyncio
import re
import uuid
from typing import Any

import httpx

from tests.support.pipeline import Pipeline
from tests.support.stack import INTAKE, OPS, OPS_KEY


async def routed(p: Pipeline, http: httpx.AsyncClient) -> tuple[str, dict[str, Any]]:
    """A lead for the inbound pool (a small company) and route's first decision for it."""
    lead = {"email": f"pool-{uuid.uuid4().hex[:8]}@initech.com", "name": "Pia Pool", "title": "VP of Engineering"}
    posted = await http.post(f"{p.capture}/v1/webhooks/generic", json=lead, headers=INTAKE)
    assert posted.status_code == 202, posted.text
    lead_id = posted.json()["lead_id"]
    for _ in range(300):
        answer = await http.get(f"{p.route}/v1/leads/{lead_id}/routing", headers=OPS)
        if answer.status_code == 200 and answer.json()["decisions"]:
            decision: dict[str, Any] = answer.json()["decisions"][0]
            return lead_id, decision
        await asyncio.sleep(0.1)
    raise AssertionError("route never decided the lead")


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None, "the page carries the session's CSRF token"
    return found.group(1)


async def test_ops_pause_a_pool_from_the_console_and_the_audit_log_says_who(pipeline: Pipeline) -> None:
    p = pipeline
    async with (
        httpx.AsyncClient(base_url=p.insights, follow_redirects=False) as console,
        httpx.AsyncClient(timeout=20) as http,
    ):
        assert (await console.post("/console/login", data={"key": OPS_KEY})).status_code == 303
        reps_page = await console.get("/console/reps")
        assert 'id="pool-inbound"' in reps_page.text and "taking leads" in reps_page.text
        csrf = csrf_of(reps_page.text)
        assert (await console.post("/console/pools/inbound/pause", data={"csrf": "forged"})).status_code == 403
        assert (await console.post("/console/pools/nowhere/pause", data={"csrf": csrf})).status_code == 404
        paused = await console.post("/console/pools/inbound/pause", data={"csrf": csrf})
        assert paused.status_code == 303
        try:
            _, held = await routed(p, http)
            assert held["outcome"] == "held" and held["rep_id"] is None, held
            assert "pool inbound: paused by console for ops; it takes no leads" in held["trace"], held["trace"]
        finally:
            resumed = await console.post("/console/pools/inbound/resume", data={"csrf": csrf})
            assert resumed.status_code == 303
        _, assigned = await routed(p, http)
        assert assigned["outcome"] == "assigned" and assigned["pool_id"] == "inbound"

        entries = (await http.get(f"{p.route}/v1/audit", headers=OPS)).json()["entries"]
        mine = [(e["actor"], e["action"], e["subject"]) for e in entries if e["subject"] == "pool inbound"]
        assert mine[:2] == [
            ("console for ops", "pool resumed", "pool inbound"),
            ("console for ops", "pool paused", "pool inbound"),
        ], mine
        audit_page = await console.get("/console/audit")
        assert (
            audit_page.status_code == 200 and "pool paused" in audit_page.text and "console for ops" in audit_page.text
        )

        assert (await http.post(f"{p.route}/v1/reps/alice/pause", json={}, headers=OPS)).status_code == 200
        try:
            _, decision = await routed(p, http)
            assert any("alice" in s and "paused by ops" in s for s in decision["trace"]), decision["trace"]
        finally:
            assert (await http.post(f"{p.route}/v1/reps/alice/resume", headers=OPS)).status_code == 200
        assert (await http.post(f"{p.route}/v1/pools/inbound/pause", headers=INTAKE)).status_code == 403


async def test_ops_reassign_a_lead_from_its_page_to_a_chosen_rep_or_back_through_the_pool(pipeline: Pipeline) -> None:
    p = pipeline
    async with (
        httpx.AsyncClient(base_url=p.insights, follow_redirects=False) as console,
        httpx.AsyncClient(timeout=20) as http,
    ):
        lead_id, first = await routed(p, http)
        owner = first["rep_id"]
        assert (await console.post("/console/login", data={"key": OPS_KEY})).status_code == 303
        lead_page = await console.get(f"/console/leads/{lead_id}")
        assert lead_page.status_code == 200 and 'id="reassign-form"' in lead_page.text
        csrf = csrf_of(lead_page.text)
        target = next(r for r in ("alice", "bruno", "chen") if r != owner)
        moved = await console.post(
            f"/console/leads/{lead_id}/reassign", data={"csrf": csrf, "rep_id": target, "reason": "speaks German"}
        )
        assert moved.status_code == 303 and moved.headers["location"].endswith(f"reassigned={target}")
        decisions = (await http.get(f"{p.route}/v1/leads/{lead_id}/routing", headers=OPS)).json()["decisions"]
        assert [(d["attempt"], d["status"], d["rep_id"]) for d in decisions] == [
            (1, "reassigned", owner),
            (2, "pending", target),
        ]
        assert decisions[1]["trace"][0] == f"reassigned by console for ops from {owner}: speaks German"
        assert decisions[1]["sla_due_at"] is not None, "a new SLA clock runs"

        back = await console.post(f"/console/leads/{lead_id}/reassign", data={"csrf": csrf, "reason": "on leave"})
        assert back.status_code == 303
        decisions = (await http.get(f"{p.route}/v1/leads/{lead_id}/routing", headers=OPS)).json()["decisions"]
        assert decisions[2]["rep_id"] not in {owner, target}, "back through the pool, to someone who has not had it"
        no_reason = await console.post(f"/console/leads/{lead_id}/reassign", data={"csrf": csrf, "rep_id": "chen"})
        assert no_reason.status_code == 422
        entries = (await http.get(f"{p.route}/v1/audit", headers=OPS)).json()["entries"]
        mine = [e for e in entries if e["subject"] == f"lead {lead_id}"]
        assert [e["detail"]["reason"] for e in mine] == ["on leave", "speaks German"]
