"""CRM owner write-back on the whole pipeline, against HubSpot and Salesforce stand-ins speaking
their wire formats. A Typeform lead is routed: HubSpot has a contact for it owned by the rep's
HubSpot owner, Salesforce a Lead (upserted by leadrelay's lead id) owned by the rep's user. An SLA
reassignment changes both owners. notify SIGKILLed in the middle of the writes writes nothing twice."""

import asyncio
import base64
import hashlib
import hmac
import json
import re
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import yaml
from standardwebhooks.webhooks import Webhook

from tests.e2e.test_claim import TYPEFORM_SECRET, typeform_submission
from tests.e2e.test_webhook_to_slack import alerts_for
from tests.support.inprocess import free_port
from tests.support.pipeline import HUBSPOT_TOKEN, Pipeline, run_pipeline
from tests.support.stack import OPS, ROOT, Stack

PORTAL = "62515"
HUBSPOT_APP_SECRET = "hubspot-app-client-secret"
PARTNER_SECRET = "whsec_" + base64.b64encode(b"partner-standard-webhooks-key").decode()
HUBSPOT_OWNERS = {"alice": "7001", "bruno": "7002", "chen": "7003"}
SALESFORCE_USERS = {"alice": "005A00000000001", "bruno": "005A00000000002", "chen": "005A00000000003"}


def crm_config(hubspot_url: str) -> Path:
    config: dict[str, Any] = yaml.safe_load((ROOT / "config" / "leadrelay.example.yaml").read_text())
    for rep in config["reps"]:
        if rep["id"] in HUBSPOT_OWNERS:
            rep["contacts"] = {"hubspot": HUBSPOT_OWNERS[rep["id"]], "salesforce": SALESFORCE_USERS[rep["id"]]}
            rep["channels"] = ["slack", "hubspot", "salesforce"]
            rep["slack"] = "by_email"  # their member ids come from users.lookupByEmail
    config["routing"]["sla"] = {"by_grade": dict.fromkeys("ABCD", 0.1), "default_minutes": 0.1, "max_attempts": 3}
    config["routing"]["rules"] = []
    config["channel_options"] = {
        "hubspot": {"owner_policy": "respect_if_active"},
        "salesforce": {"external_id_field": "Leadrelay_Id__c", "owner_policy": "respect"},
    }
    config["sources"] += [
        {"id": "hubspot-app", "type": "hubspot_app", "secret": HUBSPOT_APP_SECRET, "access_token": HUBSPOT_TOKEN,
         "api_url": hubspot_url},
        {"id": "partner", "type": "standard_webhooks", "secret": PARTNER_SECRET},
    ]  # fmt: skip
    path = ROOT / ".local" / "test-logs" / "crm.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def crm(stack: Stack) -> Iterator[Pipeline]:
    ports = (free_port(), free_port())
    config = crm_config(f"http://127.0.0.1:{ports[0]}")
    links = {"LEADRELAY_HUBSPOT_PORTAL_ID": PORTAL, "LEADRELAY_HUBSPOT_APP_URL": "https://app.hubspot.example"}
    logs = ROOT / ".local" / "test-logs" / "e2e-crm"
    with run_pipeline(stack, logs, config=config, crm=ports, insights=True, extra_env=links) as p:
        members = [{"id": member, "email": f"{rep}@example.com"} for member, rep in SLACK_TO_REP.items()]
        httpx.post(f"{p.slack}/_standin/users", json=members).raise_for_status()
        yield p


def crm_email(tag: str) -> str:
    return f"lauren+{tag}@hooli.com"


async def post_typeform(p: Pipeline, tag: str) -> str:
    """The Typeform sample with its own phone: the sample's phone is shared by every lead the claim
    tests post, and sticky routing would give this lead to the owner of theirs."""
    phone = f"+1415{int(tag[:8], 16) % 10**7:07d}"
    body = typeform_submission(tag).replace(b"+14155550187", phone.encode())
    signature = base64.b64encode(hmac.new(TYPEFORM_SECRET.encode(), body, hashlib.sha256).digest()).decode()
    async with httpx.AsyncClient(timeout=10) as http:
        response = await http.post(
            f"{p.capture}/v1/webhooks/typeform",
            content=body,
            headers={"Typeform-Signature": f"sha256={signature}", "Content-Type": "application/json"},
        )
    assert response.status_code == 202, response.text
    return str(response.json()["lead_id"])


async def hubspot_contact(p: Pipeline, email: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient() as http:
        contacts = (await http.get(f"{p.hubspot}/_standin/contacts")).json()
    return [c for c in contacts if c["properties"].get("email") == email]


async def salesforce_lead(p: Pipeline, lead_id: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient() as http:
        leads = (await http.get(f"{p.salesforce}/_standin/leads")).json()
    return [lead for lead in leads if lead.get("Leadrelay_Id__c") == lead_id]


async def owners(p: Pipeline, email: str, lead_id: str, hub: str, sf: str, timeout: float = 20) -> None:
    async with asyncio.timeout(timeout):
        while True:
            contacts, leads = await hubspot_contact(p, email), await salesforce_lead(p, lead_id)
            if [c["properties"].get("hubspot_owner_id") for c in contacts] == [hub] and [
                lead["OwnerId"] for lead in leads
            ] == [sf]:
                return
            await asyncio.sleep(0.1)


def my_domain(p: Pipeline) -> str:
    """The org's instance URL: the stand-in serves its token endpoint on the My Domain host only."""
    return p.salesforce.replace("127.0.0.1", "localhost")


SLACK_TO_REP = {"U01ALICE": "alice", "U01BRUNO": "bruno", "U01CHEN": "chen"}


async def test_the_crm_owner_follows_the_assignment_and_its_reassignment(crm: Pipeline) -> None:
    tag = uuid.uuid4().hex[:10]
    email = crm_email(tag)
    lead_id = await post_typeform(crm, tag)
    [alert] = (await alerts_for(crm.slack, {tag}, settle=0.0))[tag]
    first = SLACK_TO_REP[alert["channel"]]
    await owners(crm, email, lead_id, HUBSPOT_OWNERS[first], SALESFORCE_USERS[first])
    [contact] = await hubspot_contact(crm, email)
    [sf_lead] = await salesforce_lead(crm, lead_id)
    assert contact["properties"]["firstname"] == "Lauren"
    links = dict(re.findall(r"<(http[^|>]+/v1/records/[^|>]+)\|Open in (HubSpot|Salesforce)>", str(alert["body"])))
    assert sorted(links.values()) == ["HubSpot", "Salesforce"], "the alert links to both CRM records"
    async with httpx.AsyncClient() as http:
        for url, crm_name in links.items():
            opened = await http.get(url)
            assert opened.status_code == 302, opened.text
            expected = (
                f"https://app.hubspot.example/contacts/{PORTAL}/record/0-1/{contact['id']}"
                if crm_name == "HubSpot"
                else f"{my_domain(crm)}/lightning/r/Lead/{sf_lead['Id']}/view"
            )
            assert opened.headers["location"] == expected
        forged = await http.get(next(iter(links))[:-4] + "AAAA")
        assert forged.status_code == 400
        async with asyncio.timeout(15):
            while True:
                page = (await http.get(f"{crm.insights}/v1/leads/{lead_id}/timeline", headers=OPS)).json()
                ids = {a["channel"]: a["external_id"] for a in page.get("alerts", [])}
                if {"hubspot", "salesforce", "slack"} <= set(ids):
                    break
                await asyncio.sleep(0.2)
    assert ids["hubspot"] == contact["id"] and ids["salesforce"] == sf_lead["Id"], "the CRM ids are in the trace"
    [first_assignment] = [a for a in page["assignments"] if a["attempt"] == 1]
    slack_at = next(a["at"] for a in page["alerts"] if a["channel"] == "slack")
    assert first_assignment["first_alert_at"] == slack_at, "a CRM write is no alert: speed to lead is Slack's"

    async with asyncio.timeout(30):
        while len(alerts := (await alerts_for(crm.slack, {tag}, settle=0.0))[tag]) < 2:
            await asyncio.sleep(0.1)
    second = SLACK_TO_REP[alerts[1]["channel"]]
    assert second != first
    await owners(crm, email, lead_id, HUBSPOT_OWNERS[second], SALESFORCE_USERS[second])
    async with httpx.AsyncClient() as http:
        hub_writes = [w for w in (await http.get(f"{crm.hubspot}/_standin/writes")).json() if w["id"] == contact["id"]]
        sf_writes = (await http.get(f"{crm.salesforce}/_standin/writes")).json()
    assert [w["op"] for w in hub_writes][:2] == ["create", "update"]
    [sf_lead] = await salesforce_lead(crm, lead_id)
    assert [w["created"] for w in sf_writes if w["id"] == sf_lead["Id"]][:2] == [True, False]


async def test_reps_slack_ids_are_looked_up_by_email_and_their_clicks_traced_back(crm: Pipeline) -> None:
    """Reps configured `slack: by_email` get their alerts by member id from users.lookupByEmail (asked
    once per rep, then cached), and their Claim press is matched to them through users.info."""
    tag = uuid.uuid4().hex[:10]
    await post_typeform(crm, tag)
    [alert] = (await alerts_for(crm.slack, {tag}, settle=0.0))[tag]
    assert alert["channel"] in SLACK_TO_REP, "posted to the member id Slack gave for the rep's email"
    async with httpx.AsyncClient() as http:
        stranger = (
            await http.post(f"{crm.slack}/_standin/click", json={"ts": alert["ts"], "user_id": "U0STRANGER"})
        ).json()
        click = (
            await http.post(f"{crm.slack}/_standin/click", json={"ts": alert["ts"], "user_id": alert["channel"]})
        ).json()
        lookups = (await http.get(f"{crm.slack}/_standin/lookups")).json()
    assert stranger["body"]["ok"] is False and stranger["body"]["error"] == "not_a_rep"
    assert click["status"] == 200 and click["body"]["ok"] is True, click
    assert click["body"]["claim"]["rep_id"] == SLACK_TO_REP[alert["channel"]], click
    by_email = [entry["email"] for entry in lookups if entry["method"] == "users.lookupByEmail"]
    assert by_email and len(by_email) == len(set(by_email)), f"each rep looked up once, then cached: {by_email}"
    assert alert["channel"] in [entry["user"] for entry in lookups if entry["method"] == "users.info"]


async def trace_notes(p: Pipeline, lead_id: str) -> dict[str, str]:
    """channel -> the provider status / policy note of its delivery, from the lead's trace."""
    async with httpx.AsyncClient() as http, asyncio.timeout(20):
        while True:
            page = (await http.get(f"{p.insights}/v1/leads/{lead_id}/timeline", headers=OPS)).json()
            notes = {a["channel"]: a["provider_status"] for a in page.get("alerts", [])}
            if {"hubspot", "salesforce"} <= set(notes):
                return notes
            await asyncio.sleep(0.2)


async def test_existing_crm_records_are_matched_by_email_and_their_owners_handled_by_policy(crm: Pipeline) -> None:
    """A person Salesforce and HubSpot already know: no second record. HubSpot (respect_if_active)
    keeps an active owner and replaces an archived one; Salesforce (respect) keeps a person's
    ownership of a Lead and writes the rep on a queue-owned Contact."""
    kept_tag, replaced_tag = uuid.uuid4().hex[:10], uuid.uuid4().hex[:10]
    kept_email, replaced_email = crm_email(kept_tag), crm_email(replaced_tag)
    async with httpx.AsyncClient() as http:
        await http.post(f"{crm.hubspot}/_standin/owners", json={"id": "9101"})
        await http.post(f"{crm.hubspot}/_standin/owners", json={"id": "9102", "archived": True})
        for email, owner in ((kept_email, "9101"), (replaced_email, "9102")):
            await http.post(
                f"{crm.hubspot}/_standin/contacts",
                json={"properties": {"email": email, "firstname": "Lauren", "hubspot_owner_id": owner}},
            )
        await http.post(f"{crm.salesforce}/_standin/records/User", json={"Id": "005B00000000009", "IsActive": True})
        sf_lead = (
            await http.post(
                f"{crm.salesforce}/_standin/records/Lead",
                json={"Email": kept_email.upper(), "LastName": "Mbeki", "Company": "Hooli",
                      "OwnerId": "005B00000000009", "IsConverted": False},
            )
        ).json()  # fmt: skip
        sf_contact = (
            await http.post(
                f"{crm.salesforce}/_standin/records/Contact",
                json={"Email": replaced_email, "LastName": "Mbeki", "OwnerId": "00G000000000001"},
            )
        ).json()
    kept_id, replaced_id = await post_typeform(crm, kept_tag), await post_typeform(crm, replaced_tag)
    alerts = await alerts_for(crm.slack, {kept_tag, replaced_tag}, settle=0.0)
    rep = SLACK_TO_REP[alerts[replaced_tag][0]["channel"]]

    kept, replaced = await trace_notes(crm, kept_id), await trace_notes(crm, replaced_id)
    assert "existing owner 9101 kept: an active user (respect_if_active)" in kept["hubspot"], kept
    assert f"Lead {sf_lead['Id']} matched by email: existing owner 005B00000000009 kept (respect)" == kept["salesforce"]
    assert "9102 is not an active user" in replaced["hubspot"], replaced
    assert replaced["salesforce"].startswith(f"Contact {sf_contact['Id']} matched by email: owner set to"), replaced
    [kept_contact], [replaced_contact] = (
        await hubspot_contact(crm, kept_email),
        await hubspot_contact(crm, replaced_email),
    )
    assert kept_contact["properties"]["hubspot_owner_id"] == "9101"
    assert replaced_contact["properties"]["hubspot_owner_id"] == HUBSPOT_OWNERS[rep]
    async with httpx.AsyncClient() as http:
        leads = (await http.get(f"{crm.salesforce}/_standin/records/Lead")).json()
        contacts = (await http.get(f"{crm.salesforce}/_standin/records/Contact")).json()
    assert [lead["OwnerId"] for lead in leads if lead["Email"].lower() == kept_email] == ["005B00000000009"]
    assert not [lead for lead in leads if lead.get("Leadrelay_Id__c") in (kept_id, replaced_id)], "no duplicate Lead"
    assert [c["OwnerId"] for c in contacts if c["Id"] == sf_contact["Id"]] == [SALESFORCE_USERS[rep]]


async def test_rate_limits_are_waited_out(crm: Pipeline) -> None:
    async with httpx.AsyncClient() as http:
        await http.post(f"{crm.hubspot}/_standin/faults", json={"rate_limited": 2})
        await http.post(f"{crm.salesforce}/_standin/faults", json={"limit_exceeded": 2, "expire_tokens": True})
    tag = uuid.uuid4().hex[:10]
    lead_id = await post_typeform(crm, tag)
    [alert] = (await alerts_for(crm.slack, {tag}, settle=0.0))[tag]
    async with httpx.AsyncClient() as http:
        await http.post(f"{crm.slack}/_standin/click", json={"ts": alert["ts"], "user_id": alert["channel"]})
    rep = SLACK_TO_REP[alert["channel"]]
    await owners(crm, crm_email(tag), lead_id, HUBSPOT_OWNERS[rep], SALESFORCE_USERS[rep], timeout=30)


async def test_notify_killed_mid_write_writes_once(crm: Pipeline) -> None:
    notify = crm.services["notify"]
    async with httpx.AsyncClient() as http:
        await http.post(f"{crm.hubspot}/_standin/faults", json={"reply_delay": 3.0})
        await http.post(f"{crm.salesforce}/_standin/faults", json={"reply_delay": 3.0})
        tag = uuid.uuid4().hex[:10]
        email = crm_email(tag)
        lead_id = await post_typeform(crm, tag)
        [alert] = (await alerts_for(crm.slack, {tag}, settle=0.0))[tag]
        claimed = await http.post(f"{crm.slack}/_standin/click", json={"ts": alert["ts"], "user_id": alert["channel"]})
        assert claimed.json()["body"]["ok"], "claimed, so no SLA reassignment moves the owner meanwhile"
        async with asyncio.timeout(20):
            while not (await hubspot_contact(crm, email) and await salesforce_lead(crm, lead_id)):
                await asyncio.sleep(0.05)
        notify.kill()
        await http.post(f"{crm.hubspot}/_standin/faults", json={"reply_delay": 0.0})
        await http.post(f"{crm.salesforce}/_standin/faults", json={"reply_delay": 0.0})
        notify.start()
        notify.wait_ready(f"{crm.notify}/readyz")
        rep = SLACK_TO_REP[alert["channel"]]
        await owners(crm, email, lead_id, HUBSPOT_OWNERS[rep], SALESFORCE_USERS[rep], timeout=40)
        await asyncio.sleep(2.0)
        [contact] = await hubspot_contact(crm, email)
        [sf_lead] = await salesforce_lead(crm, lead_id)
        hub_writes = [w for w in (await http.get(f"{crm.hubspot}/_standin/writes")).json() if w["id"] == contact["id"]]
        sf_writes = [
            w for w in (await http.get(f"{crm.salesforce}/_standin/writes")).json() if w["id"] == sf_lead["Id"]
        ]
    assert [w["op"] for w in hub_writes] == ["create"], "the write in doubt was found, not repeated"
    assert len(sf_writes) == 1, "the upsert in doubt was found, not repeated"


def hubspot_v3(secret: str, method: str, url: str, body: bytes, stamp: str) -> str:
    signed = f"{method}{url}".encode() + body + stamp.encode()
    return base64.b64encode(hmac.new(secret.encode(), signed, hashlib.sha256).digest()).decode()


async def test_a_hubspot_contact_creation_batch_becomes_routed_leads_and_a_stage_change_an_outcome(
    crm: Pipeline, stack: Stack
) -> None:
    tag = uuid.uuid4().hex[:10]
    async with httpx.AsyncClient() as http:
        contact, second = [
            (
                await http.post(
                    f"{crm.hubspot}/_standin/contacts",
                    json={
                        "properties": {
                            "email": f"{who}.{tag}@initech.com",
                            "firstname": name,
                            "jobtitle": "VP of Sales",
                        }
                    },
                )
            ).json()
            for who, name in (("hs", "Hana"), ("hs2", "Hiro"))
        ]
        reads_before = len((await http.get(f"{crm.hubspot}/_standin/reads")).json())
        batch = [
            {"eventId": 101, "subscriptionType": "contact.creation", "objectId": int(contact["id"]), "portalId": 62515,
             "appId": 54321, "occurredAt": 1700000000000, "attemptNumber": 0, "changeFlag": "CREATED"},
            {"eventId": 102, "subscriptionType": "contact.propertyChange", "objectId": int(contact["id"]),
             "propertyName": "phone", "propertyValue": "1", "portalId": 62515, "occurredAt": 1700000000000},
            {"eventId": 104, "subscriptionType": "contact.creation", "objectId": int(second["id"]), "portalId": 62515,
             "appId": 54321, "occurredAt": 1700000000000, "attemptNumber": 0, "changeFlag": "CREATED"},
            {"eventId": 105, "subscriptionType": "contact.creation", "objectId": 987654321, "portalId": 62515,
             "appId": 54321, "occurredAt": 1700000000000, "attemptNumber": 0, "changeFlag": "CREATED"},
        ]  # fmt: skip
        body = json.dumps(batch).encode()
        url = f"{crm.capture}/v1/webhooks/hubspot-app"
        stamp = str(int(time.time() * 1000))
        headers = {
            "Content-Type": "application/json",
            "X-HubSpot-Request-Timestamp": stamp,
            "X-HubSpot-Signature-v3": hubspot_v3(HUBSPOT_APP_SECRET, "POST", url, body, stamp),
        }
        answer = await http.post(url, content=body, headers=headers)
        assert answer.status_code == 202, answer.text
        statuses = [lead.get("status") for lead in answer.json()["leads"]]
        assert statuses[1] == "ignored" and statuses[3] == "ignored", statuses
        assert "987654321" in answer.json()["leads"][3]["reason"], "a deleted contact is named, the rest accepted"
        reads = (await http.get(f"{crm.hubspot}/_standin/reads")).json()[reads_before:]
        assert [(r["op"], sorted(r["ids"])) for r in reads] == [
            ("batch_read", sorted([contact["id"], second["id"], "987654321"]))
        ], "one batch read for the whole delivery, no read per contact"
        forged = await http.post(url, content=body, headers={**headers, "X-HubSpot-Signature-v3": "AAAA"})
        assert forged.status_code == 401
    alerts = await alerts_for(crm.slack, {f"hs.{tag}", f"hs2.{tag}"})
    assert "Hana" in str(alerts[f"hs.{tag}"][0]["body"]) and "Hiro" in str(alerts[f"hs2.{tag}"][0]["body"])
    [alert] = (await alerts_for(crm.slack, {f"hs.{tag}"}))[f"hs.{tag}"]
    assert "Hana" in str(alert["body"])

    won = [
        {"eventId": 103, "subscriptionType": "contact.propertyChange", "objectId": int(contact["id"]),
         "propertyName": "lifecyclestage", "propertyValue": "customer", "portalId": 62515,
         "occurredAt": int(time.time() * 1000)},
    ]  # fmt: skip
    body = json.dumps(won).encode()
    stamp = str(int(time.time() * 1000))
    headers = {**headers, "X-HubSpot-Request-Timestamp": stamp}
    headers["X-HubSpot-Signature-v3"] = hubspot_v3(HUBSPOT_APP_SECRET, "POST", url, body, stamp)
    async with httpx.AsyncClient() as http:
        answer = await http.post(url, content=body, headers=headers)
    assert answer.status_code == 202, answer.text
    lead_id = answer.json()["lead_id"]
    conn = await asyncpg.connect(stack.dsn)
    try:
        async with asyncio.timeout(15):
            while not await conn.fetchval(
                "SELECT count(*) FROM score.activities WHERE lead_id = $1 AND kind = 'won'", uuid.UUID(lead_id)
            ):
                await asyncio.sleep(0.2)
    finally:
        await conn.close()


async def test_a_standard_webhooks_envelope_becomes_a_routed_lead(crm: Pipeline) -> None:
    tag = uuid.uuid4().hex[:10]
    envelope = {
        "type": "lead.created",
        "timestamp": "2026-11-23T12:00:00Z",
        "data": {"email": f"sw.{tag}@initech.com", "name": "Sven Webhook", "title": "VP of Engineering"},
    }
    body = json.dumps(envelope)
    signature = Webhook(PARTNER_SECRET).sign(f"msg_{tag}", now := datetime.now(UTC), body)
    headers = {
        "webhook-id": f"msg_{tag}",
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
        "Content-Type": "application/json",
    }
    async with httpx.AsyncClient() as http:
        answer = await http.post(f"{crm.capture}/v1/webhooks/partner", content=body, headers=headers)
    assert answer.status_code == 202, answer.text
    [alert] = (await alerts_for(crm.slack, {f"sw.{tag}"}))[f"sw.{tag}"]
    assert "Sven" in str(alert["body"])
