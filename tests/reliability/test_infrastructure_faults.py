"""The whole pipeline through infrastructure faults, while leads keep arriving: the broker SIGKILLed
for 60 s, and PostgreSQL restarted mid-burst. The sender retries like a webhook vendor (same
Idempotency-Key until 202); every accepted lead must be alerted exactly once."""

import asyncio
import uuid

from tests.e2e.test_webhook_to_slack import alerts_for
from tests.reliability.test_database_restart import wait_for_database
from tests.reliability.test_service_kills import send_burst
from tests.support.pipeline import Pipeline, run_pipeline
from tests.support.report import report
from tests.support.stack import ROOT, Stack, run_script, wait_for_kafka

LOGS = ROOT / ".local" / "test-logs" / "infrastructure-faults"


async def burst_through(
    pipeline: Pipeline, leads: int, rate: float, fault: "asyncio.Task[None]"
) -> tuple[int, int, int]:
    tags = [uuid.uuid4().hex[:10] for _ in range(leads)]
    accepted: set[str] = set()
    await asyncio.gather(send_burst(pipeline, tags, accepted, rate), fault)
    alerts = await alerts_for(pipeline.slack, accepted, settle=3.0, timeout=240)
    lost = sum(1 for ms in alerts.values() if not ms)
    duplicated = sum(1 for ms in alerts.values() if len(ms) > 1)
    return len(accepted), lost, duplicated


def test_the_broker_killed_for_a_minute_while_intake_goes_on(stack: Stack) -> None:
    async def outage() -> None:
        await asyncio.sleep(3)
        await asyncio.to_thread(run_script, "deploy/local/kafka.sh", "kill-node", "1")
        await asyncio.sleep(60)
        await asyncio.to_thread(run_script, "deploy/local/kafka.sh", "start")
        await wait_for_kafka(stack)

    async def scenario(pipeline: Pipeline) -> tuple[int, int, int]:
        return await burst_through(pipeline, 330, 5.0, asyncio.ensure_future(outage()))

    try:
        with run_pipeline(stack, LOGS / "broker") as pipeline:
            accepted, lost, duplicated = asyncio.run(scenario(pipeline))
    finally:
        run_script("deploy/local/kafka.sh", "start")
    report(f"broker SIGKILLed for 60 s during a 66 s burst: {accepted} leads, lost={lost} dup={duplicated}")
    assert accepted == 330 and lost == 0 and duplicated == 0


def test_postgresql_restarted_mid_burst(stack: Stack) -> None:
    async def restart() -> None:
        await asyncio.sleep(3)
        await asyncio.to_thread(run_script, "deploy/local/postgres.sh", "stop")
        await asyncio.sleep(2)
        await asyncio.to_thread(run_script, "deploy/local/postgres.sh", "start")
        await wait_for_database(stack)

    async def scenario(pipeline: Pipeline) -> tuple[int, int, int]:
        return await burst_through(pipeline, 300, 30.0, asyncio.ensure_future(restart()))

    try:
        with run_pipeline(stack, LOGS / "postgres") as pipeline:
            accepted, lost, duplicated = asyncio.run(scenario(pipeline))
    finally:
        run_script("deploy/local/postgres.sh", "start")
    report(f"PostgreSQL restarted mid-burst: {accepted} leads, lost={lost} dup={duplicated}")
    assert accepted == 300 and lost == 0 and duplicated == 0
