"""A worker whose loop raises takes its process down (to be restarted by its supervisor) instead of
leaving a process that answers /healthz but never works again."""

import asyncio
import time

import httpx

from tests.support.inprocess import free_port
from tests.support.processes import PYTHON, Proc
from tests.support.stack import ROOT, Stack


async def test_a_crashed_worker_makes_the_process_unhealthy_and_exit(stack: Stack) -> None:
    port = free_port()
    proc = Proc(
        "crashing",
        [PYTHON, "-m", "uvicorn", "tests.support.crashing_service:app", "--host", "127.0.0.1", "--port", str(port)],
        stack.env(),
        ROOT / ".local" / "test-logs" / "worker-crash" / "crashing.log",
    )
    proc.log_path.unlink(missing_ok=True)
    proc.start()
    try:
        await asyncio.to_thread(proc.wait_ready, f"http://127.0.0.1:{port}/healthz")
        assert proc.popen is not None
        deadline = time.monotonic() + 30
        while proc.popen.poll() is None and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        assert proc.popen.poll() is not None, "the process exits by itself once its worker crashed"
        log = proc.log_path.read_text()
        assert "worker CrashingWorker crashed" in log and "a bug in the worker loop" in log
        try:
            async with httpx.AsyncClient() as http:
                await http.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
            raise AssertionError("nothing answers on the port any more")
        except httpx.ConnectError:
            pass
    finally:
        proc.kill()
