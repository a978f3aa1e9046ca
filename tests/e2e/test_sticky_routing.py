"""Sticky routing on the whole pipeline: a second lead of the same person (another email, the same
phone) goes to the rep who has their open lead, not to the next rep in round robin."""

import uuid

import httpx

from tests.e2e.test_webhook_to_slack import alerts_for
from tests.support.pipeline import Pipeline
from tests.support.stack import INTAKE, OPS


async def test_the_same_phone_stays_with_the_rep_who_has_the_open_lead(pipeline: Pipeline) -> None:
    tag = uuid.uuid4().hex[:10]
    phone = f"+1 415 555 {int(tag[:6], 16) % 10000:04d}"
    first = {"email": f"st1{tag}@initech.com", "name": "Sid Sticky", "title": "VP of Engineering", "phone": phone}
    second = {**first, "email": f"st2{tag}@initech.com"}
    async with httpx.AsyncClient() as http:
        assert (
            await http.post(f"{pipeline.capture}/v1/webhooks/generic", json=first, headers=INTAKE)
        ).status_code == 202
        [alert] = (await alerts_for(pipeline.slack, {f"st1{tag}"}))[f"st1{tag}"]
        response = await http.post(f"{pipeline.capture}/v1/webhooks/generic", json=second, headers=INTAKE)
        assert response.status_code == 202
        [again] = (await alerts_for(pipeline.slack, {f"st2{tag}"}))[f"st2{tag}"]
        assert again["channel"] == alert["channel"], "round robin would have picked the next rep"
        body = (await http.get(f"{pipeline.route}/v1/leads/{response.json()['lead_id']}/routing", headers=OPS)).json()
    trace = " | ".join(body["decisions"][0]["trace"])
    assert "(same phone) is open with" in trace and "sticky:" in trace
