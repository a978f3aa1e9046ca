"""The five services and the Slack stand-in as real processes, on free ports, for the e2e tier."""

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.support.inprocess import free_port
from tests.support.processes import Proc, service, slack_standin
from tests.support.stack import ROOT, Stack

SERVICES = ("capture", "enrich", "score", "route", "notify")


@dataclass(frozen=True)
class Pipeline:
    capture: str
    slack: str
    ports: dict[str, int]


@pytest.fixture(scope="module")
def pipeline(stack: Stack) -> Iterator[Pipeline]:
    log_dir = ROOT / ".local" / "test-logs" / "e2e"
    slack_port = free_port()
    env = stack.env(
        LEADRELAY_TOPIC_PREFIX=f"{stack.topic_prefix}e2e{uuid.uuid4().hex[:4]}.",
        LEADRELAY_SLACK_API_URL=f"http://127.0.0.1:{slack_port}/api",
        LEADRELAY_SLACK_BOT_TOKEN="xoxb-e2e-test",
    )
    ports = {name: free_port() for name in SERVICES}
    standin = slack_standin(slack_port, env, log_dir).start()
    procs: list[Proc] = [standin]
    try:
        standin.wait_ready(f"http://127.0.0.1:{slack_port}/_standin/messages")
        procs += [service(name, ports[name], env, log_dir).start() for name in SERVICES]
        for proc, name in zip(procs[1:], SERVICES, strict=True):
            proc.wait_ready(f"http://127.0.0.1:{ports[name]}/readyz")
        yield Pipeline(f"http://127.0.0.1:{ports['capture']}", f"http://127.0.0.1:{slack_port}", ports)
    finally:
        unclean = [p.name for p in reversed(procs) if not p.stop()]
    assert not unclean, f"did not shut down gracefully on SIGTERM: {unclean}"
