"""Kill notify (SIGKILL) in the middle of a burst of 200 alerts, restart it, and see every alert
sent exactly once: the ones it died in the middle of are found again in Slack, not sent twice."""

import asyncio
import time
import uuid

import asyncpg
import httpx
import orjson

from shared.events import LeadAssignedEvent, kafka_headers, serialize_event
from shared.kafka import ensure_topics, topic_name
from shared.payloads import Assignment, LeadSummary, RepContact
from tests.support.events import scored_event
from tests.support.inprocess import free_port
from tests.support.kafka_io import produce_all
from tests.support.processes import service, slack_standin
from tests.support.report import report
from tests.support.stack import ROOT, Stack

ALERTS = 200
SLOW_ENOUGH_TO_KILL_MID_BURST = '{"slack": {"per_second": 20, "burst": 5}}'
"""5 reps at 20 alerts/s each: the burst takes about 2 s, so the kill lands with alerts queued and in flight."""


def alert(i: int) -> LeadAssignedEvent:
    from shared.events import follow_event

    data = Assignment(
        assignment_id=uuid.uuid4(),
        attempt=1,
        pool_id="inbound",
        rep=RepContact(id=f"rep{i % 5}", name=f"Rep {i % 5}", slack=f"U0REP{i % 5}"),
        reason="burst test",
        lead=LeadSummary(
            name=f"Lead {i}", email=None, phone=None, company=None, title=None, source="test", score=80, reasons=[]
        ),
    )
    return follow_event(LeadAssignedEvent, scored_event(80), producer="test", data=data)


async def sent_ids(http: httpx.AsyncClient, slack: str) -> list[str]:
    messages = (await http.get(f"{slack}/_standin/messages")).json()
    return [m["body"]["metadata"]["event_payload"]["assignment_id"] for m in messages]


async def test_notify_killed_mid_burst_sends_each_alert_exactly_once(stack: Stack) -> None:
    prefix = f"{stack.topic_prefix}kill{uuid.uuid4().hex[:4]}."
    await ensure_topics(stack.settings(prefix))
    log_dir = ROOT / ".local" / "test-logs" / "notify-kill"
    slack_port, notify_port = free_port(), free_port()
    env = stack.env(
        LEADRELAY_TOPIC_PREFIX=prefix,
        LEADRELAY_SLACK_API_URL=f"http://127.0.0.1:{slack_port}/api",
        LEADRELAY_SLACK_BOT_TOKEN="xoxb-kill-test",
        LEADRELAY_CHANNEL_PACES=SLOW_ENOUGH_TO_KILL_MID_BURST,
    )
    standin = slack_standin(slack_port, env, log_dir)
    standin.args += ["--reply-delay-ms", "15"]
    standin.start()
    notify = service("notify", notify_port, env, log_dir)
    slack = f"http://127.0.0.1:{slack_port}"
    try:
        await asyncio.to_thread(standin.wait_ready, f"{slack}/_standin/messages")
        await asyncio.to_thread(notify.start().wait_ready, f"http://127.0.0.1:{notify_port}/readyz")
        events = [alert(i) for i in range(ALERTS)]
        topic = topic_name(stack.settings(prefix), "lead.assigned")
        await produce_all(topic, [(serialize_event(e), str(e.lead_id).encode(), kafka_headers(e)) for e in events])
        async with httpx.AsyncClient() as http:
            while len(await sent_ids(http, slack)) < ALERTS // 3:
                await asyncio.sleep(0.01)
            notify.kill()
            at_kill = len(await sent_ids(http, slack))
            conn = await asyncpg.connect(stack.dsn)
            try:
                states = dict(
                    await conn.fetch(
                        "SELECT status, count(*) FROM notify.deliveries WHERE assignment_id = ANY($1) GROUP BY status",
                        [e.data.assignment_id for e in events],
                    )
                )
            finally:
                await conn.close()

            await asyncio.to_thread(notify.start().wait_ready, f"http://127.0.0.1:{notify_port}/readyz")
            deadline = time.monotonic() + 90
            while len(set(await sent_ids(http, slack))) < ALERTS and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
            await asyncio.sleep(2.0)
            ids = await sent_ids(http, slack)
    finally:
        notify.stop()
        standin.stop()

    wanted = {str(e.data.assignment_id) for e in events}
    assert at_kill < ALERTS, "the kill landed mid-burst"
    assert set(ids) == wanted, f"{len(wanted - set(ids))} alerts never sent"
    duplicates = {i for i in ids if ids.count(i) > 1}
    assert not duplicates, f"{len(duplicates)} alerts sent twice"
    report(
        f"notify SIGKILLed after {at_kill} of {ALERTS} Slack alerts with {states.get('sending', 0)} sends in doubt"
        f" and {states.get('queued', 0)} queued; "
        f"after restart {len(ids)} messages for {len(set(ids))} alerts (no duplicates)"
    )
    assert orjson.dumps(sorted(ids))
