"""PostgreSQL restarting under intake load: every webhook is answered 202 (stored) or 503 with
Retry-After (shutting down, refused, reconnecting), never a 500; every 202 is a stored lead; intake
works again once the database is back. Bounded: 12 senders for at most 40 s."""

import asyncio
import time
import uuid

import asyncpg
import httpx

from tests.support.capture_proc import start_capture
from tests.support.stack import INTAKE, Stack, run_script


async def wait_for_database(stack: Stack, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            conn = await asyncpg.connect(stack.dsn)
            await conn.close()
            return
        except (OSError, asyncpg.PostgresError):
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.2)


async def test_a_database_restart_gives_503_with_retry_after_never_500(stack: Stack) -> None:
    proc, capture = await asyncio.to_thread(start_capture, stack)
    tag = uuid.uuid4().hex[:8]
    answers: list[tuple[int, str | None, str]] = []
    stop = asyncio.Event()

    async def sender(n: int, http: httpx.AsyncClient) -> None:
        i = 0
        while not stop.is_set():
            email = f"pg+{tag}-{n}-{i}@acme.com"
            try:
                response = await http.post(f"{capture}/v1/webhooks/generic", json={"email": email}, headers=INTAKE)
                answers.append((response.status_code, response.headers.get("retry-after"), email))
            except httpx.TransportError:
                answers.append((0, None, email))
            i += 1
            await asyncio.sleep(0.02)

    try:
        async with httpx.AsyncClient(timeout=15) as http:
            senders = [asyncio.create_task(sender(n, http)) for n in range(12)]
            await asyncio.sleep(1.0)
            await asyncio.to_thread(run_script, "deploy/local/postgres.sh", "stop")
            await asyncio.sleep(1.5)
            await asyncio.to_thread(run_script, "deploy/local/postgres.sh", "start")
            await wait_for_database(stack)
            await asyncio.sleep(3.0)
            stop.set()
            await asyncio.wait_for(asyncio.gather(*senders), 40)
            after = await http.post(
                f"{capture}/v1/webhooks/generic", json={"email": f"after+{tag}@acme.com"}, headers=INTAKE
            )
    finally:
        await asyncio.to_thread(run_script, "deploy/local/postgres.sh", "start")
        assert proc.stop(), proc.tail()

    codes = {code for code, _, _ in answers}
    assert codes <= {202, 503}, f"answers other than 202/503: {sorted(codes)}"
    assert 503 in codes, "the restart was seen by intake"
    assert all(retry is not None and int(retry) > 0 for code, retry, _ in answers if code == 503)
    assert after.status_code == 202
    accepted = [email for code, _, email in answers if code == 202]
    conn = await asyncpg.connect(stack.dsn)
    try:
        stored = await conn.fetchval("SELECT count(*) FROM capture.leads WHERE email = ANY($1)", accepted)
    finally:
        await conn.close()
    assert stored == len(accepted), "every 202 is a stored lead"
