"""A lead that is not sales-ready is nurtured, then a behaviour event pushes it over the threshold:
it is routed and its rep is alerted, with the reason visible in the routing trace."""

import asyncio
import uuid
from typing import Any

import httpx

from tests.e2e.test_webhook_to_slack import alerts_for
from tests.support.pipeline import Pipeline
from tests.support.stack import INTAKE, OPS


async def routing(http: httpx.AsyncClient, pipeline: Pipeline, lead_id: str, want: str) -> dict[str, Any]:
    """route's trace for the lead once it shows `want` ('nurture' or 'decisions')."""
    for _ in range(200):
        response = await http.get(f"{pipeline.route}/v1/leads/{lead_id}/routing", headers=OPS)
        if response.status_code == 200 and response.json()[want]:
            body: dict[str, Any] = response.json()
            return body
        await asyncio.sleep(0.1)
    raise AssertionError(f"route never showed {want} for {lead_id}")


async def test_a_demo_request_routes_a_nurtured_lead_and_alerts_the_rep(pipeline: Pipeline) -> None:
    tag = uuid.uuid4().hex[:10]
    email = f"priya+{tag}@initech.com"
    async with httpx.AsyncClient() as http:
        response = await http.post(
            f"{pipeline.capture}/v1/webhooks/generic", json={"email": email, "name": "Priya Nair"}, headers=INTAKE
        )
        lead_id = response.json()["lead_id"]
        nurtured = await routing(http, pipeline, lead_id, "nurture")
        assert nurtured["decisions"] == []
        assert "stage mql (score 50" in nurtured["nurture"]["reason"]

        event = {"kind": "demo_requested", "email": email, "properties": {"form": "book-a-demo"}}
        sent = await http.post(f"{pipeline.capture}/v1/events", json=event, headers=INTAKE)
        assert sent.status_code == 202 and sent.json()["lead_id"] == lead_id

        [alert] = (await alerts_for(pipeline.slack, {tag}))[tag]
        routed = await routing(http, pipeline, lead_id, "decisions")

    [decision] = routed["decisions"]
    assert decision["outcome"] == "assigned" and decision["status"] == "pending"
    assert alert["channel"] == f"U01{decision['rep_id'].upper()}"
    assert "Requested a demo" in str(alert["body"]) and "(score 110)" in alert["body"]["text"]
    assert any("default rule -> pool inbound" in line for line in decision["trace"])
