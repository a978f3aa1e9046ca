"""A rep who wants Slack, SMS and email gets all three, once each; a scanner that opens every link in
the SMS and the email claims nothing; the SMS link's confirm button claims the lead; Twilio's signed
status callbacks are recorded."""

import asyncio
import re
import uuid
from typing import Any

import asyncpg
import httpx

from tests.e2e.test_nurture_to_sales_ready import routing
from tests.e2e.test_webhook_to_slack import alerts_for
from tests.support.pipeline import Pipeline
from tests.support.stack import INTAKE, Stack


async def wait_for(
    http: httpx.AsyncClient, url: str, tag: str, key: str, seconds: float = 30.0
) -> list[dict[str, Any]]:
    """The stand-in's messages holding `tag`, once one arrived and a second passed (for repeats).
    Bounded by time, not by polls: on a loaded machine 200 polls took less than a slow SMS did."""
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        found = [m for m in (await http.get(url)).json() if tag in str(m[key])]
        if found:
            await asyncio.sleep(1.0)
            return [m for m in (await http.get(url)).json() if tag in str(m[key])]
        await asyncio.sleep(0.05)
    raise AssertionError(f"nothing for {tag} at {url} within {seconds:.0f} s")


async def scan_every_link(http: httpx.AsyncClient, texts: list[str]) -> int:
    """What a mail security scanner or a chat preview does: GET every link, follow redirects."""
    links = {u.rstrip(".,'\"") for t in texts for u in re.findall(r"https?://[^\s'\"<>]+", t)}
    for url in links:
        page = await http.get(url, follow_redirects=True)
        assert page.status_code < 500 and "Claimed" not in page.text
    return len(links)


async def test_account_owner_gets_slack_sms_and_email_and_claims_by_sms_link(pipeline: Pipeline, stack: Stack) -> None:
    tag = uuid.uuid4().hex[:10]
    lead = {"email": f"hank+{tag}@globex.com", "name": "Hank Scorpio", "title": "CEO", "phone": "+1 555 010 9999"}
    async with httpx.AsyncClient(timeout=10) as http:
        lead_id = (await http.post(f"{pipeline.capture}/v1/webhooks/generic", json=lead, headers=INTAKE)).json()[
            "lead_id"
        ]
        [slack] = (await alerts_for(pipeline.slack, {tag}))[tag]
        [sms] = await wait_for(http, f"{pipeline.twilio}/_standin/messages", "Hank Scorpio", "form")
        [email] = await wait_for(http, f"{pipeline.smtp}/_standin/messages", tag, "text")

        assert slack["channel"] == "U01ERIN", "globex.com is Erin's account"
        assert sms["form"]["To"] == "+13125550199" and "Hank Scorpio" in sms["form"]["Body"]
        assert email["rcpt_tos"] == ["erin@example.com"] and "Hank Scorpio" in email["subject"]
        assert "Claim this lead" in email["html"] and "/v1/claims/" in email["text"]
        assert email["headers"]["Date"] and email["headers"]["Message-ID"].endswith("@relay.example.com>")
        assert email["tls"] is True and email["login"] == "apikey", "sent over STARTTLS, then AUTH, as relays require"

        scanned = await scan_every_link(http, [sms["form"]["Body"], email["text"], email["html"]])
        untouched = await routing(http, pipeline, lead_id, "decisions")
        assert scanned >= 1 and untouched["decisions"][0]["status"] == "pending", "a scanner's GETs claim nothing"

        link = re.search(r"Claim: (\S+)", sms["form"]["Body"])
        assert link is not None
        opened = await http.post(link.group(1))
        assert opened.status_code == 200 and "Claimed" in opened.text
        trace = await routing(http, pipeline, lead_id, "decisions")
        await asyncio.sleep(0.5)
        callbacks = [
            c for c in (await http.get(f"{pipeline.twilio}/_standin/callbacks")).json() if c["sid"] == sms["sid"]
        ]

    assert trace["decisions"][0]["status"] == "claimed"
    assert [(c["status"], c["answer"]) for c in callbacks] == [("sent", 200), ("delivered", 200)]
    conn = await asyncpg.connect(stack.dsn)
    try:
        rows = await conn.fetch(
            "SELECT channel, status, provider_status FROM notify.deliveries WHERE assignment_id = $1::uuid"
            " ORDER BY channel",
            trace["decisions"][0]["id"],
        )
    finally:
        await conn.close()
    assert [(r["channel"], r["status"]) for r in rows] == [("email", "sent"), ("slack", "sent"), ("sms", "sent")]
    assert next(r["provider_status"] for r in rows if r["channel"] == "sms") == "delivered"
