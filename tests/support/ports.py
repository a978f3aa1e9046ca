"""Which ports the test session's Kafka and PostgreSQL use. This checkout's own running stack (from
`make run` or an earlier session) is reused on the default ports; when a default port is held by a
process this checkout did not start (a second checkout's `make run`), the session picks free ports
and keeps its own broker and database under .local/test-kafka and .local/test-postgres."""

import os
import random
import socket
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_KAFKA_PORT, DEFAULT_PG_PORT = 9192, 55432


LISTEN_PORTS = range(20000, 32000)
"""Below Linux's ephemeral range (32768-60999): a port picked there can be taken by some client's
outgoing connection between the pick and the server's bind, which made a stand-in fail to start."""
_handed_out: set[int] = set()
_lock = threading.Lock()


def port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def free_port_block(size: int) -> int:
    """A port p with p .. p + size - 1 all free, below the ephemeral range. Each port is handed out
    once per test session (under a lock): a port checked free and released could otherwise be handed
    to a second server of the same test before the first one binds it."""
    with _lock:
        for _ in range(500):
            base = random.randrange(LISTEN_PORTS.start, LISTEN_PORTS.stop - size)
            block = range(base, base + size)
            if not _handed_out.intersection(block) and all(port_free(p) for p in block):
                _handed_out.update(block)
                return base
    raise RuntimeError("no free ports below the ephemeral range")


def free_port() -> int:
    return free_port_block(1)


def ours_running(script: str) -> bool:
    path = ROOT / script
    return path.exists() and subprocess.run([str(path), "status"], cwd=ROOT, capture_output=True).returncode == 0


def choose(default: int, block: int, script: str) -> int:
    """The default port when this checkout runs the service there or the port is free; else free ones."""
    if ours_running(script) or all(port_free(default + i) for i in range(block)):
        return default
    return free_port_block(block)


@dataclass(frozen=True)
class InfraPorts:
    kafka: int
    postgres: int

    def script_env(self) -> dict[str, str]:
        """What kafka.sh and postgres.sh need to run this session's broker and database."""
        env: dict[str, str] = {}
        if self.kafka != DEFAULT_KAFKA_PORT:
            env |= {"LEADRELAY_KAFKA_PORT": str(self.kafka), "LEADRELAY_KAFKA_DIR": str(ROOT / ".local/test-kafka")}
        if self.postgres != DEFAULT_PG_PORT:
            env |= {"LEADRELAY_PG_PORT": str(self.postgres), "LEADRELAY_PG_DIR": str(ROOT / ".local/test-postgres")}
        return env


SESSION_PORTS = "LEADRELAY_TEST_SESSION_PORTS"
"""Set by the first process of a session ("<kafka>,<postgres>"), so a subprocess it starts (the bench
smoke test's `bench.run`) uses the same broker and database instead of choosing again: with the
default ports held by another checkout it would pick other free ports while this session's
.local/test-postgres already runs, and find "already running" on a port nothing listens on."""


def session_ports() -> InfraPorts:
    inherited = os.environ.get(SESSION_PORTS, "")
    if inherited.count(",") == 1 and inherited.replace(",", "").isdigit():
        kafka, postgres = (int(p) for p in inherited.split(","))
        return InfraPorts(kafka, postgres)
    ports = InfraPorts(
        choose(DEFAULT_KAFKA_PORT, 2, "deploy/local/kafka.sh"), choose(DEFAULT_PG_PORT, 1, "deploy/local/postgres.sh")
    )
    os.environ[SESSION_PORTS] = f"{ports.kafka},{ports.postgres}"
    return ports
