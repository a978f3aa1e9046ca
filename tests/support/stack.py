"""The real local stack for integration, e2e and reliability tests.

It starts Kafka and PostgreSQL with the same scripts as `make run` (reusing them if they already
run; on free ports of its own when another checkout holds the defaults, see tests.support.ports); a
failure to start fails the test session, it never skips. Each session gets its own database
and its own topic prefix, so tests never see the data of `make run` or of an earlier session."""

import asyncio
import os
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from aiokafka.admin import AIOKafkaAdminClient

from shared.kafka import ensure_topics
from shared.settings import BaseServiceSettings
from tests.support.ports import session_ports

ROOT = Path(__file__).resolve().parents[2]
PORTS = session_ports()
PG_PORT = PORTS.postgres
KAFKA = f"127.0.0.1:{PORTS.kafka}"
INTAKE_KEY, OPS_KEY, NOTIFY_KEY = "test-intake-key-0123456789", "test-ops-key-0123456789", "test-notify-key-0123456"
CONSOLE_KEY, ALICE_KEY = "test-console-key-0123456", "test-alice-key-0123456789"
CRM_KEY = "test-crm-outcomes-key-012345"
API_KEYS = (
    f'[{{"name": "website", "key": "{INTAKE_KEY}", "scopes": ["intake"]}},'
    f' {{"name": "ops", "key": "{OPS_KEY}", "scopes": ["ops:read", "ops:write"]}},'
    f' {{"name": "notify", "key": "{NOTIFY_KEY}", "scopes": ["claim"]}},'
    f' {{"name": "console", "key": "{CONSOLE_KEY}", "scopes": ["ops:read", "ops:write", "claim"]}},'
    f' {{"name": "alice", "key": "{ALICE_KEY}", "scopes": ["claim"], "rep": "alice"}},'
    f' {{"name": "crm", "key": "{CRM_KEY}", "scopes": ["intake", "outcomes"]}}]'
)
INTAKE = {"X-API-Key": INTAKE_KEY}
OPS = {"X-API-Key": OPS_KEY}
CRM = {"X-API-Key": CRM_KEY}
"""A CRM's or sales tool's backend: may also send outcome and progress events (won, meeting_booked, ...)."""
ADMIN_DSN = f"postgresql://postgres@127.0.0.1:{PG_PORT}/postgres"


@dataclass(frozen=True)
class Stack:
    database: str
    topic_prefix: str
    started: tuple[str, ...] = ()

    @property
    def dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{PG_PORT}/{self.database}"

    def env(self, **extra: str) -> dict[str, str]:
        """Environment for a leadrelay process pointed at this session's database and topics."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("LEADRELAY_")}
        env.update(
            LEADRELAY_KAFKA_BOOTSTRAP=KAFKA,
            LEADRELAY_DATABASE_URL=f"postgresql+asyncpg://postgres@127.0.0.1:{PG_PORT}/{self.database}",
            LEADRELAY_TOPIC_PREFIX=self.topic_prefix,
            LEADRELAY_CONFIG=str(ROOT / "config" / "leadrelay.example.yaml"),
            LEADRELAY_LOG_LEVEL="INFO",
            LEADRELAY_ENV="development",
            LEADRELAY_API_KEYS=API_KEYS,
            LEADRELAY_ROUTE_API_KEY=NOTIFY_KEY,
            LEADRELAY_SESSION_SECRET="test-console-session-secret",
            LEADRELAY_CHANNEL_PACES=TEST_PACES,
        )
        env.update(extra)
        return env

    def settings(self, topic_prefix: str | None = None) -> BaseServiceSettings:
        return BaseServiceSettings(
            kafka_bootstrap=KAFKA,
            database_url=f"postgresql+asyncpg://postgres@127.0.0.1:{PG_PORT}/{self.database}",
            topic_prefix=self.topic_prefix if topic_prefix is None else topic_prefix,
            retry_backoff_ms=20,
        )


TEST_PACES = '{"slack": {"per_second": 50, "burst": 20}, "sms": {"per_second": 50, "burst": 20}}'
"""Paced as in production, only faster, so that tests of a hundred alerts to three reps stay short."""


def run_script(*args: str) -> None:
    """Run kafka.sh or postgres.sh for this session's broker and database (see tests.support.ports)."""
    env = {**os.environ, **PORTS.script_env()}
    result = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")


def is_running(script: str) -> bool:
    env = {**os.environ, **PORTS.script_env()}
    return subprocess.run([script, "status"], cwd=ROOT, capture_output=True, env=env).returncode == 0


INFRA = ("deploy/local/postgres.sh", "deploy/local/kafka.sh")


def start_infrastructure() -> list[str]:
    """Start PostgreSQL and Kafka unless they run already; returns the scripts whose service we started."""
    started = [script for script in INFRA if not is_running(script)]
    for script in INFRA:
        run_script(script, "start")
    return started


async def create_database(name: str) -> None:
    conn = await asyncpg.connect(ADMIN_DSN)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def drop_database(name: str) -> None:
    conn = await asyncpg.connect(ADMIN_DSN)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def migrate(stack: Stack) -> None:
    result = subprocess.run(
        [str(ROOT / ".venv/bin/alembic"), "upgrade", "head"],
        cwd=ROOT,
        env=stack.env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode != 0:
        raise RuntimeError(f"alembic upgrade failed:\n{result.stderr}")


async def wait_for_kafka(stack: Stack, seconds: float = 90) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        try:
            await ensure_topics(stack.settings())
            return
        except Exception:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.5)


async def delete_topics(prefix: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=KAFKA)
    await admin.start()
    try:
        mine = [t for t in await admin.list_topics() if t.startswith(prefix)]
        if mine:
            await admin.delete_topics(mine)
    finally:
        await admin.close()


async def open_stack() -> Stack:
    started = await asyncio.to_thread(start_infrastructure)
    stack = Stack(
        database=f"leadrelay_test_{uuid.uuid4().hex[:8]}",
        topic_prefix=f"t{uuid.uuid4().hex[:8]}.",
        started=tuple(started),
    )
    await create_database(stack.database)
    await asyncio.to_thread(migrate, stack)
    await wait_for_kafka(stack)
    return stack


async def close_stack(stack: Stack) -> None:
    """Remove this session's data, and stop what the session itself started (leave what it found)."""
    await delete_topics(stack.topic_prefix)
    await drop_database(stack.database)
    for script in reversed(stack.started):
        await asyncio.to_thread(run_script, script, "stop")
