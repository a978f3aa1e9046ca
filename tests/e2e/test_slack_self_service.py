"""Reps serve themselves in Slack, through notify's signed endpoints, with the Slack stand-in sending
what Slack sends: `/leadrelay away 2h` takes Alice off the queue (route's trace says "paused by self
until ..." and her leads go to others), `status` and `mine` answer privately, `back` puts her on
again; a forged signature gets 401 and changes nothing; someone who is not a rep is told so. Her App
Home lists her open leads with their SLA clocks, and its Claim button claims."""

import asyncio
import uuid
from typing import Any

import httpx

from tests.e2e.test_webhook_to_slack import alerts_for
from tests.support.pipeline import Pipeline
from tests.support.stack import INTAKE, OPS

ALICE = "U01ALICE"
REP_OF = {"U01ALICE": "alice", "U01BRUNO": "bruno", "U01CHEN": "chen"}


async def command(p: Pipeline, user: str, text: str) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=20) as http:
        answer = (await http.post(f"{p.slack}/_standin/command", json={"user_id": user, "text": text})).json()
    assert answer["status"] == 200, answer
    body: dict[str, Any] = answer["body"]
    assert body["response_type"] == "ephemeral"
    return body


async def post_lead(p: Pipeline, tag: str) -> tuple[str, str]:
    """A sales-ready lead for the inbound pool: its id and the rep its alert went to."""
    lead = {"email": f"{tag}@initech.com", "name": f"Sid {tag[-6:]}", "title": "VP of Engineering"}
    async with httpx.AsyncClient() as http:
        response = await http.post(f"{p.capture}/v1/webhooks/generic", json=lead, headers=INTAKE)
    assert response.status_code == 202, response.text
    [alert] = (await alerts_for(p.slack, {tag}))[tag]
    return str(response.json()["lead_id"]), REP_OF[alert["channel"]]


async def test_a_rep_takes_themself_off_the_queue_and_back_and_a_forgery_changes_nothing(pipeline: Pipeline) -> None:
    away = await command(pipeline, ALICE, "away 2h")
    try:
        assert "off the queue until" in away["text"]
        status = await command(pipeline, ALICE, "status")
        assert "not taking leads: paused by self until" in status["text"], status

        owners = [await post_lead(pipeline, f"away-{uuid.uuid4().hex[:8]}") for _ in range(3)]
        assert "alice" not in {rep for _, rep in owners}, owners
        async with httpx.AsyncClient() as http:
            trace = (await http.get(f"{pipeline.route}/v1/leads/{owners[0][0]}/routing", headers=OPS)).json()
        steps = "\n".join(trace["decisions"][0]["trace"])
        assert "alice" in steps and "paused by self until" in steps, steps

        form = b"command=%2Fleadrelay&text=back&user_id=U01ALICE&team_id=T0STANDIN"
        headers = {"X-Slack-Request-Timestamp": "1700000000", "X-Slack-Signature": "v0=" + "0" * 64}
        async with httpx.AsyncClient() as http:
            forged = await http.post(f"{pipeline.notify}/v1/slack/commands", content=form, headers=headers)
        assert forged.status_code == 401 and forged.json()["fields"][0]["field"] == "X-Slack-Signature"
        assert "paused by self" in (await command(pipeline, ALICE, "status"))["text"], "the forgery changed nothing"

        stranger = await command(pipeline, "U0STRANGER", "away")
        assert "not a rep" in stranger["text"]
        assert "unknown command" in (await command(pipeline, ALICE, "holiday"))["text"]

    finally:
        back = await command(pipeline, ALICE, "back")
    assert "Welcome back" in back["text"], "alice is on the queue again for the tests after this one"
    assert "You are available" in (await command(pipeline, ALICE, "status"))["text"]


async def home_of(p: Pipeline, user: str, has: str) -> dict[str, Any]:
    async with httpx.AsyncClient() as http:
        for _ in range(100):
            view = (await http.get(f"{p.slack}/_standin/views")).json().get(user)
            if view is not None and has in str(view["blocks"]):
                return dict(view)
            await asyncio.sleep(0.1)
    raise AssertionError(f"no Home tab for {user} showing {has!r}")


async def test_the_app_home_lists_the_reps_open_leads_and_its_claim_button_claims(pipeline: Pipeline) -> None:
    for _ in range(4):
        lead_id, rep = await post_lead(pipeline, f"home-{uuid.uuid4().hex[:8]}")
        if rep == "alice":
            break
    assert rep == "alice", "round robin reaches alice within a pool of three"
    async with httpx.AsyncClient(timeout=20) as http:
        mine = await command(pipeline, ALICE, "mine")
        opened = (await http.post(f"{pipeline.slack}/_standin/open_home", json={"user_id": ALICE})).json()
        assert opened["status"] == 200, opened
        trace = (await http.get(f"{pipeline.route}/v1/leads/{lead_id}/routing", headers=OPS)).json()
        assignment_id = trace["decisions"][0]["id"]
        view = await home_of(pipeline, ALICE, assignment_id)
        assert "claim by" in str(view["blocks"]) and "Claim" in str(view["blocks"])
        assert "open lead(s)" in mine["text"] and "claim by" in mine["text"]

        click = {"home_of": ALICE, "user_id": ALICE, "value": f"{assignment_id}|alice"}
        clicked = (await http.post(f"{pipeline.slack}/_standin/click", json=click)).json()
        assert clicked["status"] == 200 and clicked["body"]["ok"] is True, clicked
        trace = (await http.get(f"{pipeline.route}/v1/leads/{lead_id}/routing", headers=OPS)).json()
        assert trace["decisions"][0]["status"] == "claimed" and trace["decisions"][0]["claimed_by"] == "alice"
        for _ in range(100):
            view = (await http.get(f"{pipeline.slack}/_standin/views")).json()[ALICE]
            if f"{assignment_id}|alice" not in str(view["blocks"]):
                break
            await asyncio.sleep(0.1)
        assert f"{assignment_id}|alice" not in str(view["blocks"]), "the Home tab is published again, claimed"
