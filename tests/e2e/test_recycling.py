"""Recycling on the whole pipeline. A lead a rep turns down as "not a fit" goes back to nurture with
the reason (no one else is alerted), and is routed again to someone else once a demo request lifts
its score above where it was. An owned lead with no progress for `stalled_days` goes back to
nurture too, while one whose rep booked a meeting stays with its rep."""

import asyncio
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.e2e.test_nurture_to_sales_ready import routing
from tests.e2e.test_webhook_to_slack import alerts_for
from tests.support.pipeline import Pipeline, run_pipeline
from tests.support.stack import CRM, INTAKE, OPS, ROOT, Stack

STALLED_DAYS = 0.0002
"""17.3 seconds."""


def recycling_config() -> Path:
    config: dict[str, Any] = yaml.safe_load((ROOT / "config" / "leadrelay.example.yaml").read_text())
    config["routing"]["recycling"] = {"not_a_fit": True, "stalled_days": STALLED_DAYS, "check_seconds": 0.5}
    path = ROOT / ".local" / "test-logs" / "recycling.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def recycling(stack: Stack) -> Any:
    with run_pipeline(stack, ROOT / ".local" / "test-logs" / "e2e-recycling", config=recycling_config()) as p:
        yield p


async def post_lead(http: httpx.AsyncClient, p: Pipeline, tag: str, name: str) -> str:
    lead = {"email": f"{name.lower()}.{tag}@initech.com", "name": f"{name} Recycle", "title": "VP of Engineering"}
    posted = await http.post(f"{p.capture}/v1/webhooks/generic", json=lead, headers=INTAKE)
    assert posted.status_code == 202, posted.text
    return str(posted.json()["lead_id"])


async def click(http: httpx.AsyncClient, p: Pipeline, message: dict[str, Any], action: str) -> dict[str, Any]:
    pressed = (
        await http.post(
            f"{p.slack}/_standin/click", json={"ts": message["ts"], "user_id": message["channel"], "action_id": action}
        )
    ).json()
    assert pressed["status"] == 200 and pressed["body"]["ok"], pressed
    return dict(pressed["body"])


async def statuses(http: httpx.AsyncClient, p: Pipeline, lead_id: str) -> list[str]:
    body = (await http.get(f"{p.route}/v1/leads/{lead_id}/routing", headers=OPS)).json()
    return [d["status"] for d in body["decisions"]]


async def test_not_a_fit_recycles_to_nurture_until_a_higher_score_routes_it_again(recycling: Pipeline) -> None:
    tag = uuid.uuid4().hex[:10]
    async with httpx.AsyncClient() as http:
        lead_id = await post_lead(http, recycling, tag, "Nora")
        [first] = (await alerts_for(recycling.slack, {tag}))[tag]
        answer = await click(http, recycling, first, "reject_not_a_fit")
        assert answer["reject"]["next"]["outcome"] == "nurture"
        traced = await routing(http, recycling, lead_id, "nurture")
        assert traced["nurture"]["reason"].startswith("Recycled: ") and "not a fit" in traced["nurture"]["reason"]
        assert [d["status"] for d in traced["decisions"]] == ["recycled"]
        await asyncio.sleep(2.0)
        assert len((await alerts_for(recycling.slack, {tag}, settle=0.0))[tag]) == 1, "nobody else is alerted"

        event = {"kind": "demo_requested", "email": f"nora.{tag}@initech.com", "properties": {"form": "demo"}}
        assert (await http.post(f"{recycling.capture}/v1/events", json=event, headers=INTAKE)).status_code == 202
        async with asyncio.timeout(20):
            while len(alerts := (await alerts_for(recycling.slack, {tag}, settle=0.0))[tag]) < 2:
                await asyncio.sleep(0.1)
        body = (await http.get(f"{recycling.route}/v1/leads/{lead_id}/routing", headers=OPS)).json()
    again = body["decisions"][-1]
    assert alerts[1]["channel"] != first["channel"], "the rep who said not a fit does not get it again"
    assert again["attempt"] == 2 and again["status"] == "pending"
    assert again["reason"].startswith("Routed again after recycling: score ")


async def test_an_owned_lead_without_progress_is_recycled_and_one_with_a_meeting_is_not(recycling: Pipeline) -> None:
    tag = uuid.uuid4().hex[:10]
    async with httpx.AsyncClient() as http:
        stalled = await post_lead(http, recycling, tag, "Stan")
        moving = await post_lead(http, recycling, tag, "Mona")
        alerts = await alerts_for(recycling.slack, {f"stan.{tag}", f"mona.{tag}"})
        for message in (alerts[f"stan.{tag}"][0], alerts[f"mona.{tag}"][0]):
            await click(http, recycling, message, "claim")
        await asyncio.sleep(STALLED_DAYS * 86400 * 0.6)
        meeting = {"kind": "meeting_booked", "email": f"mona.{tag}@initech.com", "properties": {}}
        from_website = await http.post(f"{recycling.capture}/v1/events", json=meeting, headers=INTAKE)
        assert from_website.status_code == 403 and from_website.json()["fields"][0]["field"] == "kind"
        assert (await http.post(f"{recycling.capture}/v1/events", json=meeting, headers=CRM)).status_code == 202
        async with asyncio.timeout(STALLED_DAYS * 86400 + 15):
            while await statuses(http, recycling, stalled) != ["recycled"]:
                await asyncio.sleep(0.25)
        traced = await routing(http, recycling, stalled, "nurture")
        assert traced["nurture"]["reason"].startswith(f"No progress for {STALLED_DAYS:g} days since ")
        assert await statuses(http, recycling, moving) == ["claimed"], "a booked meeting is progress"
