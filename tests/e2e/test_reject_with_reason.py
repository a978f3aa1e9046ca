"""Reject with a reason on the whole pipeline: the assigned rep says "not mine" and the lead reaches
the next rep within a second; the rejecter's round-robin credit is given back ("not a fit" keeps it
spent); the rejections are counted by rep, reason, rule and source."""

import asyncio
import re
import time
import uuid

import asyncpg
import httpx

from tests.e2e.test_webhook_to_slack import alerts_for
from tests.support.pipeline import Pipeline
from tests.support.stack import INTAKE, NOTIFY_KEY, OPS, Stack

SLACK_IDS = {"U01ALICE": "alice", "U01BRUNO": "bruno", "U01CHEN": "chen"}


def assignment_of(message: dict) -> str:  # type: ignore[type-arg]
    buttons = [e for b in message["body"]["blocks"] if b.get("type") == "actions" for e in b["elements"]]
    return str(next(b["value"] for b in buttons if b["action_id"] == "claim")).split("|")[0]


async def credit(stack: Stack, rep: str) -> tuple[int, int]:
    """The rep's inbound credit, and how many inbound decisions exist, read together: any other lead
    routed through inbound meanwhile (an earlier module's lead reassigned by its SLA clock, say)
    moves every member's credit too, so an exact check holds only when none was."""
    conn = await asyncpg.connect(stack.dsn)
    try:
        row = await conn.fetchrow(
            "SELECT (SELECT credit FROM route.pool_members WHERE pool_id = 'inbound' AND rep_id = $1) AS credit,"
            " (SELECT count(*) FROM route.assignments WHERE pool_id = 'inbound') AS decisions",
            rep,
        )
        return int(row["credit"]), int(row["decisions"])
    finally:
        await conn.close()


async def reject(p: Pipeline, assignment: str, rep: str, reason: str) -> httpx.Response:
    async with httpx.AsyncClient() as http:
        return await http.post(
            f"{p.route}/v1/assignments/{assignment}/reject",
            json={"rep_id": rep, "reason": reason},
            headers={"X-API-Key": NOTIFY_KEY},
        )


async def test_not_mine_moves_the_lead_within_a_second_and_gives_the_turn_back(
    pipeline: Pipeline, stack: Stack
) -> None:
    tag = uuid.uuid4().hex[:10]
    lead = {"email": f"rj{tag}@initech.com", "name": "Rita Reject", "title": "VP of Engineering"}
    async with httpx.AsyncClient() as http:
        posted = await http.post(f"{pipeline.capture}/v1/webhooks/generic", json=lead, headers=INTAKE)
    assert posted.status_code == 202
    lead_id = posted.json()["lead_id"]
    [first] = (await alerts_for(pipeline.slack, {tag}))[tag]
    first_rep = SLACK_IDS[first["channel"]]
    before = await credit(stack, first_rep)

    assert (await reject(pipeline, assignment_of(first), "maya", "not_mine")).status_code == 409, "only the assignee"
    started = time.monotonic()
    answer = await reject(pipeline, assignment_of(first), first_rep, "not_mine")
    assert answer.status_code == 200, answer.text
    assert answer.json()["turn_given_back"] is True and answer.json()["next"]["rep_id"] != first_rep
    async with asyncio.timeout(5):
        while len(messages := (await alerts_for(pipeline.slack, {tag}, settle=0.0))[tag]) < 2:
            await asyncio.sleep(0.02)
    moved_in = time.monotonic() - started
    second = messages[1]
    second_rep = SLACK_IDS[second["channel"]]
    assert second_rep == answer.json()["next"]["rep_id"] and moved_in < 1.0, f"moved in {moved_in:.2f} s"
    after = await credit(stack, first_rep)
    if after[1] - before[1] == 1:
        assert after[0] - before[0] == 3, "the pick cost 3 (three eligible reps); not mine gives it back"
    else:
        assert after[0] - before[0] >= 3 - 2 * (after[1] - before[1] - 1), "not mine gives the turn back"
    assert (await reject(pipeline, assignment_of(first), first_rep, "not_mine")).status_code == 409, "once"

    spent = await credit(stack, second_rep)
    fit = await reject(pipeline, assignment_of(second), second_rep, "not_a_fit")
    assert fit.status_code == 200 and fit.json()["turn_given_back"] is False
    assert fit.json()["next"]["outcome"] == "nurture", "not a fit recycles the lead (see test_recycling)"
    kept = await credit(stack, second_rep)
    others = kept[1] - spent[1]
    assert kept[0] - spent[0] <= others, "not a fit keeps the turn spent (others' decisions add 1 each at most)"
    if others == 0:
        assert kept[0] == spent[0], "not a fit keeps the turn spent"
    async with asyncio.timeout(15), httpx.AsyncClient() as http:
        while True:
            timeline = (await http.get(f"{pipeline.insights}/v1/leads/{lead_id}/timeline", headers=OPS)).json()
            scores = [t["detail"] for t in timeline.get("timeline", []) if t["kind"] == "scored"]
            if any(r["rule_id"] == "not_a_fit" for s in scores for r in s["reasons"]):
                break
            await asyncio.sleep(0.2)
    assert scores[-1]["total"] == scores[0]["total"] - 30, "not a fit is a -30 signal in the example config"

    async with httpx.AsyncClient() as http:
        counts = (await http.get(f"{pipeline.route}/v1/rejections", headers=OPS)).json()["rejections"]
    mine = {(c["rep_id"], c["reason"], c["source"]) for c in counts}
    assert {(first_rep, "not_mine", "website"), (second_rep, "not_a_fit", "website")} <= mine


async def test_turned_down_by_every_rep_it_escalates_to_the_manager(pipeline: Pipeline) -> None:
    tag = uuid.uuid4().hex[:10]
    lead = {"email": f"re{tag}@initech.com", "name": "Rex Escalate", "title": "VP of Engineering"}
    async with httpx.AsyncClient() as http:
        posted = await http.post(f"{pipeline.capture}/v1/webhooks/generic", json=lead, headers=INTAKE)
        assert posted.status_code == 202
        seen: list[str] = []
        for n, action in enumerate(("reject_not_mine", "reject_wrong_territory", "reject_not_mine"), start=1):
            async with asyncio.timeout(10):
                while len(messages := (await alerts_for(pipeline.slack, {tag}, settle=0.0))[tag]) < n:
                    await asyncio.sleep(0.02)
            message = messages[n - 1]
            assert message["channel"] not in seen
            seen.append(message["channel"])
            click = {"ts": message["ts"], "user_id": message["channel"], "action_id": action}
            pressed = (await http.post(f"{pipeline.slack}/_standin/click", json=click)).json()
            assert pressed["status"] == 200 and pressed["body"]["ok"], pressed
        assert pressed["body"]["reject"]["next"]["outcome"] == "escalated", "all three had it: the manager's now"
    async with asyncio.timeout(5):
        while len(messages := (await alerts_for(pipeline.slack, {tag}, settle=0.0))[tag]) < 4:
            await asyncio.sleep(0.02)
    assert messages[3]["channel"] == "U01MAYA"


async def test_a_claim_link_turns_a_lead_down_once(pipeline: Pipeline) -> None:
    tag = uuid.uuid4().hex[:10]
    lead = {"email": f"rl{tag}@initech.com", "name": "Lena Link", "title": "VP of Engineering"}
    async with httpx.AsyncClient() as http:
        assert (
            await http.post(f"{pipeline.capture}/v1/webhooks/generic", json=lead, headers=INTAKE)
        ).status_code == 202
        [first] = (await alerts_for(pipeline.slack, {tag}))[tag]
        link = re.search(r"<(http[^|>]+)\|Claim link>", str(first["body"]["blocks"]))
        assert link is not None
        confirm = await http.get(link.group(1))
        assert confirm.status_code == 200 and "id=reject-not_mine" in confirm.text, "GET changes nothing"
        passed = await http.post(f"{link.group(1)}/reject", data={"reason": "wrong_territory"})
        assert passed.status_code == 200 and "Passed on" in passed.text
        again = await http.post(f"{link.group(1)}/reject", data={"reason": "not_mine"})
        assert again.status_code == 410
        hostile = await http.post(f"{link.group(1)}/reject", data={"reason": "<script>"})
        assert hostile.status_code == 422
    async with asyncio.timeout(5):
        while len(messages := (await alerts_for(pipeline.slack, {tag}, settle=0.0))[tag]) < 2:
            await asyncio.sleep(0.02)
    assert messages[1]["channel"] != first["channel"]
