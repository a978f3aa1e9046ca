"""Escalation digests on real PostgreSQL: the first `threshold` escalations of a window go one by one
and the rest join the digest, also when two notify instances count at once; a redelivered escalation
is counted once; a claim is shown; a digest whose sender died mid-post is found in Slack's history
(the stand-in) and updated, not posted twice."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import text

from services.notify import digests
from services.notify.digest_sender import DigestLinks, DigestSender
from services.notify.digest_store import DigestStore
from services.notify.slack_client import SlackClient
from shared.business.notifications import EscalationDigest
from shared.db import Database
from shared.payloads import Assignment, LeadSummary, RepContact
from tests.integration.test_notify_delivery import Notify, messages, notify  # noqa: F401

POLICY = EscalationDigest(window_seconds=60, threshold=2, update_seconds=0.2)


def escalation(target: str, score: int = 50) -> digests.Escalation:
    a = Assignment(
        assignment_id=uuid.uuid4(),
        attempt=4,
        pool_id="inbound",
        rep=RepContact(id="maya", name="Maya Patel", slack=target),
        reason="SLA missed 3 times; escalated to Maya Patel",
        lead=LeadSummary(
            name=f"Lead {score}",
            email=None,
            phone=None,
            company=None,
            title=None,
            source="web",
            score=score,
            reasons=[],
        ),
        outcome="escalated",
    )
    return digests.Escalation(a, "slack", target)


async def admit(db: Database, batch: list[digests.Escalation], now: datetime) -> list[digests.Escalation]:
    async with db.session_scope() as session:
        return await DigestStore(session).admit(batch, POLICY, now)


async def test_the_threshold_holds_across_instances_and_redeliveries(db: Database) -> None:
    target = f"U{uuid.uuid4().hex[:10].upper()}"
    now = datetime.now(UTC)
    storm = [escalation(target, score=i) for i in range(40)]
    halves = await asyncio.gather(admit(db, storm[:20], now), admit(db, storm[20:], now))
    alone = [e for half in halves for e in half]
    assert len(alone) == POLICY.threshold, "two instances at once still send only the first two alone"
    assert await admit(db, storm, now) == [], "redelivered: nothing new, nothing sent again"
    async with db.session_scope() as session:
        [due] = [d for d in await digests.lock_due(session, now, now - timedelta(seconds=15), 50) if d.target == target]
        contents = await digests.contents(session, due, 3)
        await digests.record_sent(session, due.id, target, "1.0")
    assert contents.waiting == 38 and contents.claimed == 0
    assert [s.assignment.lead.score for s in contents.highest][:1] == [39]

    claimed = contents.oldest[0].assignment.assignment_id
    async with db.session_scope() as session:
        await DigestStore(session).mark_claimed([(claimed, "maya", now)], POLICY, now)
        after = await digests.contents(session, due, 3)
    assert (after.waiting, after.claimed) == (37, 1)
    assert claimed not in {s.assignment.assignment_id for s in after.oldest}

    later = now + timedelta(seconds=POLICY.window_seconds)
    assert len(await admit(db, [escalation(target)], later)) == 1, "a new window starts a new count"


async def test_a_digest_left_in_doubt_is_found_in_slack_not_posted_again(
    notify: Notify,  # noqa: F811 (the fixture imported above)
    db: Database,
) -> None:
    target = f"U{uuid.uuid4().hex[:10].upper()}"
    now = datetime.now(UTC)
    await admit(db, [escalation(target, score=i) for i in range(5)], now)
    async with httpx.AsyncClient() as http:
        slack = SlackClient(http, f"{notify.slack}/api", "xoxb-test", 3, 1.0)
        links = DigestLinks("digest-secret", "http://127.0.0.1:9", None, timedelta(hours=1))
        sender = DigestSender(db, slack, None, None, links, lambda: POLICY, alive_seconds=0.5)
        async with asyncio.timeout(10):
            while not [m for m in await messages(notify.slack) if m["channel"] == target]:
                await sender.tick()
                await asyncio.sleep(0.1)
        [posted] = [m for m in await messages(notify.slack) if m["channel"] == target]
        assert posted["body"]["text"] == "3 escalated leads need an owner"

        async with db.session_scope() as session:
            await session.execute(
                text(
                    "UPDATE notify.digests SET message_id = NULL, message_channel = NULL, sending_at = now()"
                    " WHERE target = :t"
                ),
                {"t": target},
            )
        await admit(db, [escalation(target, score=99)], now)
        await asyncio.sleep(0.6)
        async with asyncio.timeout(10):
            while (
                "4 escalated"
                not in next(m for m in await messages(notify.slack) if m["channel"] == target)["body"]["text"]
            ):
                await sender.tick()
                await asyncio.sleep(0.1)
    assert len([m for m in await messages(notify.slack) if m["channel"] == target]) == 1, "updated, not re-posted"
