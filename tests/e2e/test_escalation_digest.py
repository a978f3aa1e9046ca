"""An escalation storm on the whole pipeline: 1,000 sales-ready leads whose only rep is capped all
escalate to the pool's manager at once. The manager gets the first few one by one and then one
digest per window, updated in place on Slack (one SMS per window), and every escalation stays
claimable: from the digest's Claim buttons and from the digest's page of claim links."""

import asyncio
import re
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import yaml

from tests.support.pipeline import Pipeline, run_pipeline
from tests.support.stack import INTAKE, ROOT, Stack

LEADS = 1000
BOSS_SLACK, BOSS_PHONE = "U0STORMBOSS", "+12125550177"
WINDOW, THRESHOLD = 30, 2


def storm_config() -> Path:
    config: dict[str, Any] = yaml.safe_load((ROOT / "config" / "leadrelay.example.yaml").read_text())
    config["reps"] += [
        {"id": "storm_rep", "name": "Sam Capped", "slack": "U0STORMREP", "caps": {"day": 0}},
        {"id": "storm_boss", "name": "Bea Boss", "slack": BOSS_SLACK, "phone": BOSS_PHONE},
    ]
    config["pools"].append(
        {"id": "storm", "members": ["storm_rep"], "manager": "storm_boss", "escalation_channels": ["slack", "sms"]}
    )
    config["routing"]["rules"].insert(
        0, {"id": "storm", "when": [{"field": "lead.email", "contains": "storm"}], "pool": "storm"}
    )
    config["notifications"] = {
        "escalation_digest": {"window_seconds": WINDOW, "threshold": THRESHOLD, "update_seconds": 1, "show": 3}
    }
    path = ROOT / ".local" / "test-logs" / "escalation-digest.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def storm(stack: Stack) -> Any:
    with run_pipeline(stack, ROOT / ".local" / "test-logs" / "e2e-digest", config=storm_config(), insights=True) as p:
        yield p


async def post_leads(p: Pipeline, tag: str) -> list[str]:
    limit = asyncio.Semaphore(16)

    async def one(http: httpx.AsyncClient, i: int) -> str:
        lead = {"email": f"storm{i}.{tag}@initech.com", "name": f"Storm {i}", "title": "VP of Engineering"}
        async with limit:
            r = await http.post(f"{p.capture}/v1/webhooks/generic", json=lead, headers=INTAKE)
        assert r.status_code == 202, r.text
        return str(r.json()["lead_id"])

    async with httpx.AsyncClient(timeout=30) as http:
        return list(await asyncio.gather(*(one(http, i) for i in range(LEADS))))


async def escalated(stack: Stack, lead_ids: list[str]) -> int:
    conn = await asyncpg.connect(stack.dsn)
    try:
        return int(
            await conn.fetchval(
                "SELECT count(*) FROM route.assignments WHERE lead_id = ANY($1::uuid[])"
                " AND outcome = 'escalated' AND rep_id = 'storm_boss'",
                lead_ids,
            )
        )
    finally:
        await conn.close()


def counted(message: dict[str, Any]) -> int:
    """How many escalations a digest message says it holds (waiting + claimed)."""
    text = str(message["body"]["text"])
    if (m := re.match(r"All (\d+) escalated leads are claimed", text)) is not None:
        return int(m.group(1))
    m = re.match(r"(\d+) escalated leads need an owner(?:, (\d+) claimed)?", text)
    assert m is not None, text
    return int(m.group(1)) + int(m.group(2) or 0)


def is_digest(message: dict[str, Any]) -> bool:
    return (message["body"].get("metadata") or {}).get("event_type") == "leadrelay_digest"


async def boss_messages(p: Pipeline) -> list[dict[str, Any]]:
    async with httpx.AsyncClient() as http:
        return [m for m in (await http.get(f"{p.slack}/_standin/messages")).json() if m["channel"] == BOSS_SLACK]


async def test_a_thousand_escalations_reach_the_manager_as_a_handful_of_digests(storm: Pipeline, stack: Stack) -> None:
    tag = uuid.uuid4().hex[:8]
    lead_ids = await post_leads(storm, tag)
    async with asyncio.timeout(120):
        while await escalated(stack, lead_ids) < LEADS:
            await asyncio.sleep(0.5)
        while True:
            messages = await boss_messages(storm)
            digests = [m for m in messages if is_digest(m)]
            alone = [m for m in messages if not is_digest(m)]
            if digests and sum(counted(d) for d in digests) + len(alone) == LEADS:
                break
            await asyncio.sleep(0.5)
    windows = len({int(float(m["ts"]) // WINDOW) for m in messages})
    assert len(messages) <= 6 and len(digests) <= 2, f"{len(messages)} messages ({len(digests)} digests)"
    assert len(alone) <= THRESHOLD * len(digests) and windows <= 3
    async with httpx.AsyncClient() as http:
        updates = [u for u in (await http.get(f"{storm.slack}/_standin/updates")).json() if u["channel"] == BOSS_SLACK]
    assert updates, "the digest is updated in place (chat.update), not re-posted"

    print(
        f"boss: {len(alone)} alone + {len(digests)} digests ({[counted(d) for d in digests]}), {len(updates)} updates"
    )
    biggest = max(digests, key=counted)
    blocks = biggest["body"]["blocks"]
    buttons = [b["accessory"] for b in blocks if b.get("accessory", {}).get("action_id") == "claim"]
    assert 3 <= len(buttons) <= 6, "the oldest and the highest scored, each with a Claim button"
    page = re.search(r"<(http[^|>]+/v1/digests/[^|>]+)\|All (\d+) escalations", str(blocks))
    assert page is not None and int(page.group(2)) == counted(biggest)

    async with httpx.AsyncClient() as http:
        listed = await http.get(page.group(1))
        assert listed.status_code == 200
        claim_links = re.findall(r"href='(http[^']+/v1/claims/[^']+)'", listed.text)
        assert len(claim_links) == counted(biggest), "every escalation in the digest is on its page"
        assert "storm" in listed.text and "<script" not in listed.text

        claimed = await http.post(claim_links[-1])
        assert claimed.status_code == 200 and "Claimed" in claimed.text, claimed.text
        click = {"ts": biggest["ts"], "user_id": BOSS_SLACK, "action_id": "claim", "value": buttons[0]["value"]}
        pressed = (await http.post(f"{storm.slack}/_standin/click", json=click)).json()
        assert pressed["status"] == 200 and pressed["body"]["ok"], pressed

        async with asyncio.timeout(15):
            while True:
                now = next(m for m in await boss_messages(storm) if m["ts"] == biggest["ts"])
                if ", 2 claimed" in now["body"]["text"]:
                    break
                await asyncio.sleep(0.3)
        assert counted(now) == counted(biggest), "claims are shown; nothing leaves the digest"
        assert sum(1 for b in now["body"]["blocks"] if b.get("accessory")) >= 3, "the buttons stay"
        again = await http.get(page.group(1))
        assert again.text.count("claimed by storm_boss") == 2

        forged = await http.get(page.group(1)[:-3] + "abc")
        assert forged.status_code == 400 and "not valid" in forged.text

        async with asyncio.timeout(WINDOW + 15):
            while True:
                sms = list((await http.get(f"{storm.twilio}/_standin/messages")).json())
                sms = [m for m in sms if m["form"]["To"] == BOSS_PHONE]
                digest_sms = [m for m in sms if "escalated leads" in m["form"]["Body"]]
                if digest_sms:
                    break
                await asyncio.sleep(0.5)
        await asyncio.sleep(2)
        sms = [m for m in (await http.get(f"{storm.twilio}/_standin/messages")).json() if m["form"]["To"] == BOSS_PHONE]
    print(f"boss SMS: {len(sms)}, of which digests: {len(digest_sms)}: {digest_sms[0]['form']['Body']}")
    assert len(sms) <= 6, f"{len(sms)} SMS: at most {THRESHOLD} alone and one digest per window"
    assert "/v1/digests/" in digest_sms[0]["form"]["Body"]
