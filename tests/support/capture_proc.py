"""A capture process on a free port, pointed at the session's database and topics."""

from tests.support.inprocess import free_port
from tests.support.processes import Proc, service
from tests.support.stack import ROOT, Stack


def start_capture(stack: Stack, **env: str) -> tuple[Proc, str]:
    port = free_port()
    proc = service("capture", port, stack.env(**env), ROOT / ".local" / "test-logs").start()
    base = f"http://127.0.0.1:{port}"
    proc.wait_ready(f"{base}/readyz")
    return proc, base
