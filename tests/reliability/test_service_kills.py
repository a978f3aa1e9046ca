"""Each of the five services SIGKILLed mid-burst, one after another, and restarted: every lead a
vendor got 202 for is alerted exactly once. The sender behaves like a webhook vendor: a request that
fails (capture is down) is retried with the same Idempotency-Key until it is accepted."""

import asyncio
import time
import uuid

import httpx

from tests.e2e.test_webhook_to_slack import alerts_for
from tests.support.pipeline import SERVICES, Pipeline, run_pipeline
from tests.support.report import report
from tests.support.stack import INTAKE, ROOT, Stack

LEADS = 500
RATE = 40.0


async def send_burst(pipeline: Pipeline, tags: list[str], accepted: set[str], rate: float = RATE) -> None:
    """Open loop at `rate` leads/s; each lead is retried (same Idempotency-Key) until accepted."""
    async with httpx.AsyncClient(timeout=5) as http:

        async def deliver(tag: str) -> None:
            body = {"email": f"kill+{tag}@initech.com", "name": f"Kill {tag}", "title": "VP Sales"}
            headers = {**INTAKE, "Idempotency-Key": f"kill-{tag}"}
            for _ in range(1000):
                try:
                    response = await http.post(f"{pipeline.capture}/v1/webhooks/generic", json=body, headers=headers)
                    if response.status_code == 202:
                        accepted.add(tag)
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.25)

        started = time.monotonic()
        tasks = []
        for i, tag in enumerate(tags):
            await asyncio.sleep(max(0.0, started + i / rate - time.monotonic()))
            tasks.append(asyncio.create_task(deliver(tag)))
        await asyncio.gather(*tasks)


async def kill_each_in_turn(pipeline: Pipeline) -> list[str]:
    done = []
    for name in SERVICES:
        await asyncio.sleep(1.5)
        proc = pipeline.services[name]
        proc.kill()
        await asyncio.sleep(0.5)
        proc.start()
        await asyncio.to_thread(proc.wait_ready, f"http://127.0.0.1:{pipeline.ports[name]}/readyz")
        done.append(name)
    return done


def test_each_service_killed_mid_burst_loses_and_duplicates_nothing(stack: Stack) -> None:
    async def scenario(pipeline: Pipeline) -> tuple[set[str], dict[str, list[object]], list[str]]:
        tags = [uuid.uuid4().hex[:10] for _ in range(LEADS)]
        accepted: set[str] = set()
        _, killed = await asyncio.gather(send_burst(pipeline, tags, accepted), kill_each_in_turn(pipeline))
        alerts = await alerts_for(pipeline.slack, accepted, settle=3.0, timeout=120)
        return accepted, alerts, killed

    with run_pipeline(stack, ROOT / ".local" / "test-logs" / "service-kills") as pipeline:
        accepted, alerts, killed = asyncio.run(scenario(pipeline))

    assert killed == list(SERVICES)
    assert len(accepted) == LEADS, "a vendor that retries gets every lead accepted"
    lost = [t for t, ms in alerts.items() if not ms]
    duplicated = [t for t, ms in alerts.items() if len(ms) > 1]
    report(f"each of {', '.join(SERVICES)} SIGKILLed mid-burst: {LEADS} leads, lost={len(lost)} dup={len(duplicated)}")
    assert not lost and not duplicated, (lost[:5], duplicated[:5])
