"""Claiming from where the rep is: a Typeform lead's Slack alert has a Claim button that, clicked
through the Slack stand-in, records the claim in route (stopping the SLA clock) and updates the
message; a signed claim link does the same."""

import asyncio
import base64
import hashlib
import hmac
import json
import re
import uuid
from typing import Any

import httpx

from shared.business.loader import load_config
from tests.e2e.test_nurture_to_sales_ready import routing
from tests.e2e.test_webhook_to_slack import alerts_for
from tests.support.pipeline import Pipeline
from tests.support.report import report
from tests.support.stack import INTAKE, ROOT

TYPEFORM_SECRET = next(
    s.secret.get_secret_value()
    for s in load_config(ROOT / "config" / "leadrelay.example.yaml").sources
    if s.id == "typeform"
)


def typeform_submission(tag: str) -> bytes:
    sample = json.loads((ROOT / "tests" / "fixtures" / "typeform_form_response.json").read_text())
    response = sample["form_response"]
    response["token"] = f"tok-{tag}"
    for answer in response["answers"]:
        if answer["type"] == "email":
            answer["email"] = f"lauren+{tag}@hooli.com"
    return json.dumps(sample).encode()


async def test_typeform_lead_claimed_from_the_slack_button(pipeline: Pipeline) -> None:
    tag = uuid.uuid4().hex[:10]
    body = typeform_submission(tag)
    signature = base64.b64encode(hmac.new(TYPEFORM_SECRET.encode(), body, hashlib.sha256).digest()).decode()
    async with httpx.AsyncClient(timeout=10) as http:
        response = await http.post(
            f"{pipeline.capture}/v1/webhooks/typeform",
            content=body,
            headers={"Typeform-Signature": f"sha256={signature}", "Content-Type": "application/json"},
        )
        assert response.status_code == 202, response.text
        lead_id = response.json()["lead_id"]
        [alert] = (await alerts_for(pipeline.slack, {tag}))[tag]
        rep_user = alert["channel"]

        click = (
            await http.post(f"{pipeline.slack}/_standin/click", json={"ts": alert["ts"], "user_id": rep_user})
        ).json()
        assert click["status"] == 200 and click["body"]["ok"] is True, click
        report(f"Slack Claim button round trip (stand-in -> notify -> route -> answer): {click['elapsed_ms']:.0f} ms")

        trace = await routing(http, pipeline, lead_id, "decisions")
        updated = await _updated(http, pipeline, alert["ts"])
        again = await http.post(f"{pipeline.slack}/_standin/click", json={"ts": alert["ts"], "user_id": rep_user})

    [decision] = trace["decisions"]
    assert decision["status"] == "claimed" and decision["claimed_at"] is not None, "the SLA clock has stopped"
    assert again.status_code == 409, "the button is gone once the message is updated"
    assert "Claimed by" in str(updated["body"]["blocks"]) and "actions" not in str(updated["body"]["blocks"])


async def _updated(http: httpx.AsyncClient, pipeline: Pipeline, ts: str) -> dict[str, Any]:
    for _ in range(100):
        updates = (await http.get(f"{pipeline.slack}/_standin/updates")).json()
        mine = [u for u in updates if u["ts"] == ts]
        if mine:
            return dict(mine[-1])
        await asyncio.sleep(0.05)
    raise AssertionError("the Slack message was never updated after the claim")


async def test_someone_else_clicking_claim_gets_a_private_reply_and_nothing_changes(pipeline: Pipeline) -> None:
    tag = uuid.uuid4().hex[:10]
    async with httpx.AsyncClient(timeout=10) as http:
        await http.post(
            f"{pipeline.capture}/v1/webhooks/typeform",
            content=(body := typeform_submission(tag)),
            headers={
                "Typeform-Signature": "sha256="
                + base64.b64encode(hmac.new(TYPEFORM_SECRET.encode(), body, hashlib.sha256).digest()).decode(),
                "Content-Type": "application/json",
            },
        )
        [alert] = (await alerts_for(pipeline.slack, {tag}))[tag]
        intruder = next(u for u in ("U01ALICE", "U01BRUNO", "U01CHEN") if u != alert["channel"])
        stranger = await http.post(f"{pipeline.slack}/_standin/click", json={"ts": alert["ts"], "user_id": "U0NOBODY"})
        colleague = await http.post(f"{pipeline.slack}/_standin/click", json={"ts": alert["ts"], "user_id": intruder})
        await asyncio.sleep(0.5)
        private = (await http.get(f"{pipeline.slack}/_standin/ephemerals")).json()
        updates = (await http.get(f"{pipeline.slack}/_standin/updates")).json()
        assignment_id = re.search(r"assignment ([0-9a-f-]{36})", json.dumps(alert["body"]["blocks"]))
    assert stranger.json()["body"]["ok"] is False and colleague.json()["body"]["ok"] is False
    assert colleague.json()["body"]["claim"]["error"] == "not_assigned_to_rep"
    replies = [e for e in private if e["user"] in ("U0NOBODY", intruder) and e["channel"] == alert["channel"]]
    assert len(replies) == 2 and all("assigned to" in e["body"]["text"] for e in replies)
    assert assignment_id is not None and not any(u["ts"] == alert["ts"] for u in updates), "the alert is unchanged"


async def test_a_claim_link_opened_shows_a_page_and_its_button_claims_once(pipeline: Pipeline) -> None:
    tag = uuid.uuid4().hex[:10]
    lead = {"email": f"omar+{tag}@initech.com", "name": "Omar Haddad", "title": "CFO"}
    async with httpx.AsyncClient(timeout=10) as http:
        posted = await http.post(f"{pipeline.capture}/v1/webhooks/generic", json=lead, headers=INTAKE)
        lead_id = posted.json()["lead_id"]
        [alert] = (await alerts_for(pipeline.slack, {tag}))[tag]
        link = re.search(r"<(http[^|>]+/v1/claims/[^|>]+)\|Claim link>", json.dumps(alert["body"]["blocks"]))
        assert link is not None
        opened = await http.get(link.group(1))
        before = await routing(http, pipeline, lead_id, "decisions")
        claimed = await http.post(link.group(1))
        reused = await http.post(link.group(1))
        forged = await http.get(link.group(1)[:-3] + "abc")
        trace = await routing(http, pipeline, lead_id, "decisions")
    assert opened.status_code == 200 and "<form method=post" in opened.text and "Claimed" not in opened.text
    assert opened.headers["cache-control"] == "no-store" and opened.headers["referrer-policy"] == "no-referrer"
    assert before["decisions"][0]["status"] == "pending", "opening the link changes nothing"
    assert claimed.status_code == 200 and "Claimed" in claimed.text
    assert reused.status_code == 410 and "been used already" in reused.text
    assert forged.status_code == 400
    assert trace["decisions"][0]["status"] == "claimed"
