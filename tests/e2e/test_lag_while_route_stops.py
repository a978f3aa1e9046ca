"""What an operator sees with `leadrelay lag`: route's lag rises while route is stopped and drains
once it is back, and no lead is lost on the way."""

import asyncio
import uuid
from collections.abc import Callable

import httpx

from services.ops.lag import consumer_lag
from shared.settings import BaseServiceSettings
from tests.e2e.test_webhook_to_slack import alerts_for
from tests.support.pipeline import Pipeline
from tests.support.stack import INTAKE, KAFKA

LEADS = 20


async def route_lag(pipeline: Pipeline) -> int:
    rows = await consumer_lag(BaseServiceSettings(kafka_bootstrap=KAFKA), [f"{pipeline.topic_prefix}route"])
    return sum(r.lag for r in rows if r.topic.endswith("lead.scored"))


async def wait_for_lag(pipeline: Pipeline, done: Callable[[int], bool], timeout: float = 60) -> list[int]:
    seen: list[int] = []
    try:
        async with asyncio.timeout(timeout):
            while True:
                seen.append(await route_lag(pipeline))
                if done(seen[-1]):
                    return seen
                await asyncio.sleep(0.3)
    except TimeoutError:
        raise AssertionError(f"route's lag never got there: {seen[-20:]}") from None


async def test_route_lag_rises_while_it_is_stopped_and_drains_after(pipeline: Pipeline) -> None:
    route = pipeline.services["route"]
    first = uuid.uuid4().hex[:10]
    async with httpx.AsyncClient() as http:
        body = {"email": f"lag+{first}@initech.com", "name": "Lag first", "title": "VP Sales"}
        assert (
            await http.post(f"{pipeline.capture}/v1/webhooks/generic", json=body, headers=INTAKE)
        ).status_code == 202
    await alerts_for(pipeline.slack, {first}, settle=0.5)
    await wait_for_lag(pipeline, lambda lag: lag == 0)
    assert await asyncio.to_thread(route.stop), route.tail()
    tags = [uuid.uuid4().hex[:10] for _ in range(LEADS)]
    try:
        async with httpx.AsyncClient() as http:
            for tag in tags:
                body = {"email": f"lag+{tag}@initech.com", "name": f"Lag {tag}", "title": "VP Sales"}
                response = await http.post(f"{pipeline.capture}/v1/webhooks/generic", json=body, headers=INTAKE)
                assert response.status_code == 202
        rising = await wait_for_lag(pipeline, lambda lag: lag >= LEADS)
    finally:
        route.start()
        await asyncio.to_thread(route.wait_ready, f"http://127.0.0.1:{pipeline.ports['route']}/readyz")
    draining = await wait_for_lag(pipeline, lambda lag: lag == 0)
    assert rising[-1] == LEADS and max(draining) <= LEADS
    alerts = await alerts_for(pipeline.slack, set(tags))
    assert all(len(ms) == 1 for ms in alerts.values())
