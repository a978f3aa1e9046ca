"""`python -m bench.http_transport`: CPU per provider call, httpx's default transport (httpcore over
anyio) against the aiohttp transport notify uses (`shared/http_client.py`), side by side in one run.
3,000 JSON POSTs each, 32 in flight, to a local aiohttp endpoint shaped like chat.postMessage; CPU is
the process's (client and server together, the same server for both). Writes
bench/results/http-transport.md."""

import asyncio
import platform
import time
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
from aiohttp import web

from shared.http_client import provider_client
from tests.support.inprocess import free_port
from tests.support.stack import ROOT

REQUESTS, IN_FLIGHT, ROUNDS = 3000, 32, 2


async def _measure(make: Callable[[], httpx.AsyncClient], url: str) -> tuple[float, float]:
    """(CPU ms per request, seconds) for REQUESTS posts, after a warm-up."""
    async with make() as client:
        limit = asyncio.Semaphore(IN_FLIGHT)

        async def one() -> None:
            async with limit:
                response = await client.post(url, json={"channel": "U1", "text": "x" * 300})
                response.json()

        await asyncio.gather(*(one() for _ in range(300)))
        cpu, wall = time.process_time(), time.perf_counter()
        await asyncio.gather(*(one() for _ in range(REQUESTS)))
        return 1000 * (time.process_time() - cpu) / REQUESTS, time.perf_counter() - wall


async def main() -> None:
    async def post_message(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response({"ok": True, "ts": "1.000100"})

    app = web.Application()
    app.router.add_post("/api/chat.postMessage", post_message)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    url = f"http://127.0.0.1:{port}/api/chat.postMessage"
    timeout = httpx.Timeout(10.0, connect=3.0)
    clients = {
        "httpx default (httpcore)": lambda: httpx.AsyncClient(timeout=timeout),
        "httpx + aiohttp transport": lambda: provider_client(timeout),
    }
    rows = []
    try:
        for round_ in range(1, ROUNDS + 1):
            for name, make in clients.items():
                ms, seconds = await _measure(make, url)
                rows.append(f"| {round_} | {name} | {ms:.3f} | {REQUESTS / seconds:.0f} |")
    finally:
        await runner.cleanup()
    report = "\n".join(
        [
            "# Provider calls: CPU per request by httpx transport",
            "",
            f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.platform()}, Python {platform.python_version()}."
            f" {REQUESTS} POSTs per row, {IN_FLIGHT} in flight, client and local server in one process.",
            "",
            "| round | client | CPU ms per request | requests/s |",
            "|---|---|---|---|",
            *rows,
            "",
        ]
    )
    (ROOT / "bench" / "results" / "http-transport.md").write_text(report)
    print(report)


if __name__ == "__main__":
    asyncio.run(main())
