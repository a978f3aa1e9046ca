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

from shared.business_config import load_config
from tests.e2e.test_nurture_to_sales_ready import routing
from tests.e2e.test_webhook_to_slack import alerts_for
from tests.support.pipeline import Pipeline
from tests.support.report import report
from tests.support.stack import ROOT

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

        again = await http.post(f"{pipeline.slack}/_standin/click", json={"ts": alert["ts"], "user_id": rep_user})
        trace = await routing(http, pipeline, lead_id, "decisions")
        updated = await _updated(http, pipeline, alert["ts"])

    [decision] = trace["decisions"]
    assert decision["status"] == "claimed" and decision["claimed_at"] is not None, "the SLA clock has stopped"
    assert again.status_code == 409, "the button is gone once claimed"
    assert "Claimed by" in str(updated["body"]["blocks"]) and "actions" not in str(updated["body"]["blocks"])


async def _updated(http: httpx.AsyncClient, pipeline: Pipeline, ts: str) -> dict[str, Any]:
    for _ in range(100):
        updates = (await http.get(f"{pipeline.slack}/_standin/updates")).json()
        mine = [u for u in updates if u["ts"] == ts]
        if mine:
            return dict(mine[-1])
        await asyncio.sleep(0.05)
    raise AssertionError("the Slack message was never updated after the claim")


async def test_a_signed_claim_link_claims_once(pipeline: Pipeline) -> None:
    tag = uuid.uuid4().hex[:10]
    lead = {"email": f"omar+{tag}@initech.com", "name": "Omar Haddad", "title": "CFO"}
    async with httpx.AsyncClient(timeout=10) as http:
        lead_id = (await http.post(f"{pipeline.capture}/v1/webhooks/generic", json=lead)).json()["lead_id"]
        [alert] = (await alerts_for(pipeline.slack, {tag}))[tag]
        link = re.search(r"<(http[^|>]+/v1/claims/[^|>]+)\|Claim link>", json.dumps(alert["body"]["blocks"]))
        assert link is not None
        opened = await http.get(link.group(1))
        reopened = await http.get(link.group(1))
        forged = await http.get(link.group(1)[:-3] + "abc")
        trace = await routing(http, pipeline, lead_id, "decisions")
    assert opened.status_code == 200 and "Claimed" in opened.text
    assert reopened.status_code == 200, "opening the same link again is not an error"
    assert forged.status_code == 400
    assert trace["decisions"][0]["status"] == "claimed"
