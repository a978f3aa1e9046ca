"""PostgreSQL as a managed one is run: TLS verified against a CA (`?ssl=verify-full` and
PGSSLROOTCERT, on a cluster started by `deploy/local/postgres.sh --tls`), and one role per service
with rights on its own schema only (migration 0019)."""

import os
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from shared.db import Database, make_engine
from tests.support.ports import free_port_block
from tests.support.stack import ADMIN_DSN, ROOT, Stack

SCRIPT = ROOT / "deploy" / "local" / "postgres.sh"


@pytest.fixture(scope="module")
def tls_cluster() -> Iterator[tuple[int, Path]]:
    directory = ROOT / ".local" / "test-postgres-tls"
    shutil.rmtree(directory, ignore_errors=True)
    port = free_port_block(1)
    env = {**os.environ, "LEADRELAY_PG_DIR": str(directory), "LEADRELAY_PG_PORT": str(port)}
    started = subprocess.run(
        ["bash", str(SCRIPT), "--tls", "start"], env=env, capture_output=True, text=True, timeout=180
    )
    assert started.returncode == 0, started.stdout + started.stderr
    where = subprocess.run(["bash", str(SCRIPT), "where"], env=env, capture_output=True, text=True, timeout=30)
    try:
        yield port, Path(where.stdout.strip()) / "tls" / "ca.crt"
    finally:
        subprocess.run(["bash", str(SCRIPT), "stop"], env=env, capture_output=True, timeout=120)
        shutil.rmtree(directory, ignore_errors=True)


async def _reachable(url: str) -> bool:
    db = Database(make_engine(url, pool_size=1))
    try:
        return await db.reachable()
    finally:
        await db.dispose()


async def test_verify_full_against_the_ca(tls_cluster: tuple[int, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    port, ca = tls_cluster
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{port}/leadrelay?ssl=verify-full"
    monkeypatch.setenv("PGSSLROOTCERT", str(ca))
    assert await _reachable(url), "verify-full with the cluster's CA connects"
    conn = await asyncpg.connect(f"postgresql://postgres@127.0.0.1:{port}/leadrelay", ssl="verify-full")
    try:
        assert await conn.fetchval("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()") is True
    finally:
        await conn.close()
    monkeypatch.setenv("PGSSLROOTCERT", "/etc/ssl/certs/ca-certificates.crt")
    assert not await _reachable(url), "a server certificate from another CA is refused"


@pytest.fixture
async def login_as(stack: Stack) -> AsyncIterator[dict[str, str]]:
    """Login roles that are members of each service's role, as a deployment creates them."""
    admin = await asyncpg.connect(ADMIN_DSN)
    suffix = uuid.uuid4().hex[:6]
    logins = {s: f"lr_{s}_{suffix}" for s in ("capture", "route")}
    for service, login in logins.items():
        await admin.execute(f"CREATE ROLE {login} LOGIN IN ROLE leadrelay_{service}")
    try:
        yield logins
    finally:
        for login in logins.values():
            await admin.execute(f"DROP OWNED BY {login}")
            await admin.execute(f"DROP ROLE {login}")
        await admin.close()


async def test_each_service_role_writes_its_own_schema_only(stack: Stack, login_as: dict[str, str]) -> None:
    dsn = stack.dsn.replace("postgres@", f"{login_as['route']}@")
    route = await asyncpg.connect(dsn)
    try:
        assert await route.fetchval("SELECT count(*) FROM route.assignments") >= 0
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await route.execute(
                "INSERT INTO capture.leads (id, email, source, fields) VALUES ($1, 'x@y.co', 'website', '{}')",
                uuid.uuid4(),
            )
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await route.fetchval("SELECT count(*) FROM capture.leads")
    finally:
        await route.close()
    capture = await asyncpg.connect(stack.dsn.replace("postgres@", f"{login_as['capture']}@"))
    try:
        lead = uuid.uuid4()
        async with capture.transaction():
            await capture.execute(
                "INSERT INTO capture.leads (id, email, source, fields) VALUES ($1, 'x@y.co', 'website', '{}')", lead
            )
            await capture.execute("DELETE FROM capture.leads WHERE id = $1", lead)
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await capture.execute("DELETE FROM route.assignments")
    finally:
        await capture.close()
