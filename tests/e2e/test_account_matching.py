"""Lead-to-account matching on the whole pipeline (example config: globex.com and globex.co.uk are
Erin's account): a lead from a subdomain and one from another country TLD both reach Erin, and the
routing trace says why."""

import uuid

import httpx

from tests.e2e.test_webhook_to_slack import alerts_for
from tests.support.pipeline import Pipeline
from tests.support.stack import INTAKE, OPS


async def test_subdomain_and_other_tld_leads_go_to_the_account_owner_with_the_reason(pipeline: Pipeline) -> None:
    tag = uuid.uuid4().hex[:10]
    emails = {f"sub{tag}": f"jane.sub{tag}@eu.globex.co.uk", f"tld{tag}": f"jo.tld{tag}@globex.de"}
    ids = {}
    async with httpx.AsyncClient() as http:
        for key, email in emails.items():
            lead = {"email": email, "name": "Jane Doe", "title": "VP of Operations"}
            response = await http.post(f"{pipeline.capture}/v1/webhooks/generic", json=lead, headers=INTAKE)
            assert response.status_code == 202, response.text
            ids[key] = response.json()["lead_id"]
        alerts = await alerts_for(pipeline.slack, set(emails))
        assert {k: [m["channel"] for m in v] for k, v in alerts.items()} == {k: ["U01ERIN"] for k in emails}
        traces = {}
        for key, lead_id in ids.items():
            body = (await http.get(f"{pipeline.route}/v1/leads/{lead_id}/routing", headers=OPS)).json()
            traces[key] = " | ".join(body["decisions"][0]["trace"])
    assert "eu.globex.co.uk is a subdomain of globex.co.uk" in traces[f"sub{tag}"]
    assert "globex.de is globex under another suffix than account globex.com" in traces[f"tld{tag}"]
    assert all("owner erin takes the lead" in t for t in traces.values())
