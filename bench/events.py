"""`make bench-events`: behaviour events through the real pipeline. The single-event endpoint with 32
concurrent clients, then the batch endpoint (500 events per request, 4 at a time); for each, events
accepted per second at capture, and events scored per second (until score's committed offsets on
lead.activity reach the end of the topic). Appends to bench/results/events.md; asserts nothing."""

import asyncio
import time
import uuid
from datetime import UTC, datetime

import aiohttp
from aiokafka import AIOKafkaConsumer, TopicPartition

from shared.settings import BaseServiceSettings
from tests.support.kafka_io import committed_offsets
from tests.support.pipeline import run_pipeline
from tests.support.stack import INTAKE, KAFKA, ROOT, close_stack, open_stack

RESULTS = ROOT / "bench" / "results" / "events.md"


async def lag(prefix: str) -> tuple[int, int]:
    """(events on lead.activity not yet committed by score, events on the topic in all)."""
    topic = f"{prefix}lead.activity"
    consumer = AIOKafkaConsumer(bootstrap_servers=KAFKA)
    await consumer.start()
    try:
        partitions = BaseServiceSettings().topic_partitions
        ends = await consumer.end_offsets([TopicPartition(topic, p) for p in range(partitions)])
    finally:
        await consumer.stop()
    done = await committed_offsets(f"{prefix}score")
    done = {tp: offset for tp, offset in done.items() if tp.topic == topic}
    return sum(end - done.get(tp, 0) for tp, end in ends.items()), sum(ends.values())


async def until_scored(prefix: str, started: float, published: int, timeout: float = 60) -> float:
    """Seconds from `started` until `published` events are on the topic and score has committed all."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        behind, total = await lag(prefix)
        if behind == 0 and total >= published:
            return time.perf_counter() - started
        await asyncio.sleep(0.2)
    print(f"not scored within {timeout} s: {behind} behind, {total} on the topic, {published} published", flush=True)
    return float("nan")


def event(email: str) -> dict[str, object]:
    return {"email": email, "kind": "page_view", "event_id": uuid.uuid4().hex, "properties": {"url": "/pricing"}}


async def single(http: aiohttp.ClientSession, url: str, emails: list[str], count: int) -> int:
    queue = list(range(count))
    ok = 0

    async def client() -> None:
        nonlocal ok
        while queue:
            i = queue.pop()
            async with http.post(f"{url}/v1/events", json=event(emails[i % len(emails)]), headers=INTAKE) as r:
                ok += r.status == 202
                await r.read()

    await asyncio.gather(*(client() for _ in range(32)))
    return ok


async def batched(http: aiohttp.ClientSession, url: str, emails: list[str], count: int) -> int:
    requests = [[event(emails[(i + j) % len(emails)]) for j in range(500)] for i in range(0, count, 500)]
    ok = 0

    async def client() -> None:
        nonlocal ok
        while requests:
            body = {"events": requests.pop()}
            async with http.post(f"{url}/v1/events/batch", json=body, headers=INTAKE) as r:
                ok += (await r.json())["accepted"]

    await asyncio.gather(*(client() for _ in range(4)))
    return ok


async def main() -> None:
    stack = await open_stack()
    lines = [f"## {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, 2 cores, everything on this machine", ""]
    try:
        with run_pipeline(stack, ROOT / ".local" / "bench-logs" / "events") as pipeline:
            emails = [f"events+{uuid.uuid4().hex[:8]}@initech.com" for _ in range(200)]
            async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64)) as http:
                published = await batched(http, pipeline.capture, emails, 500)
                await until_scored(pipeline.topic_prefix, time.perf_counter(), published)
                for name, send, count in (
                    ("single, 32 clients", single, 3000),
                    ("batch of 500, 4 clients", batched, 10000),
                ):
                    started = time.perf_counter()
                    accepted = await send(http, pipeline.capture, emails, count)
                    accept_s = time.perf_counter() - started
                    published += accepted
                    scored_s = await until_scored(pipeline.topic_prefix, started, published)
                    lines.append(
                        f"- {name}: {accepted} events accepted in {accept_s:.1f} s ({accepted / accept_s:.0f}/s);"
                        f" all scored after {scored_s:.1f} s ({accepted / scored_s:.0f}/s)"
                    )
                    print(lines[-1], flush=True)
    finally:
        await close_stack(stack)
    with RESULTS.open("a") as f:
        f.write("\n".join(lines) + "\n\n")


if __name__ == "__main__":
    asyncio.run(main())
