"""Open-loop load: leads are sent on a fixed schedule whatever the answers (latency counts from each
lead's scheduled time, so a system that falls behind cannot hide it), and their alerts are collected
from the Slack stand-in. aiohttp, not httpx: the generator must not be the bottleneck."""

import asyncio
import re
import time
import uuid
from dataclasses import dataclass, field

import aiohttp

from bench.sources import Builder

TAG = re.compile(r"bench\+([0-9a-f]{12})@")


@dataclass
class Phase:
    label: str
    rate: float | None  # leads per second; None: all at once (saturation)
    count: int
    scheduled: dict[str, float] = field(default_factory=dict)
    answered: dict[str, int] = field(default_factory=dict)
    alerts: dict[str, list[float]] = field(default_factory=dict)
    started: float = 0.0
    finished: float = 0.0


async def send(http: aiohttp.ClientSession, build: Builder, phase: Phase, tag: str) -> None:
    url, headers, body = build(tag)
    try:
        async with http.post(url, data=body, headers=headers) as response:
            await response.read()
            phase.answered[tag] = response.status
    except (aiohttp.ClientError, TimeoutError):
        phase.answered[tag] = 0


async def run_phase(build: Builder, phase: Phase, connections: int = 256) -> None:
    connector = aiohttp.TCPConnector(limit=connections)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        tasks = []
        loop = asyncio.get_running_loop()
        t0_loop, t0_wall = loop.time() + 0.05, time.time() + 0.05
        phase.started = t0_wall
        for i in range(phase.count):
            offset = 0.0 if phase.rate is None else i / phase.rate
            delay = t0_loop + offset - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            tag = uuid.uuid4().hex[:12]
            phase.scheduled[tag] = t0_wall + offset
            tasks.append(asyncio.create_task(send(http, build, phase, tag)))
        await asyncio.gather(*tasks)


class AlertReader:
    """Reads the Slack stand-in's messages page by page, assigning each alert to its lead's tag."""

    def __init__(self, slack: str) -> None:
        self.slack = slack
        self.offset = 0
        self.times: dict[str, list[float]] = {}

    async def poll(self, http: aiohttp.ClientSession) -> None:
        async with http.get(f"{self.slack}/_standin/messages", params={"offset": self.offset}) as response:
            messages = await response.json()
        self.offset += len(messages)
        for m in messages:
            found = TAG.search(str(m["body"]))
            if found:
                self.times.setdefault(found.group(1), []).append(float(m["received_at"]))

    async def drain(self, phase: Phase, timeout: float) -> None:
        """Collect until every answered lead of the phase has an alert, or until `timeout`."""
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession() as http:
            while True:
                await self.poll(http)
                missing = [t for t in phase.scheduled if t not in self.times]
                if not missing or time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.2)
            await asyncio.sleep(0.5)
            await self.poll(http)
        phase.alerts = {t: self.times.get(t, []) for t in phase.scheduled}
        phase.finished = time.time()
