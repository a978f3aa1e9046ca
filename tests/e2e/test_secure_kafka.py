"""The whole pipeline on a broker run the way managed Kafka runs: SASL_SSL with SCRAM-SHA-512, a CA
of its own, the StandardAuthorizer, and one principal per service holding only the ACLs that
`leadrelay acl apply` generates from the topology. Topics come from `leadrelay topics apply`; the
services create none (LEADRELAY_CREATE_TOPICS=false) and only check for theirs. Each service also
connects to PostgreSQL as its own login, with rights on its own schema only."""

import asyncio
import json
import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from aiokafka.errors import TopicAuthorizationFailedError

from shared.kafka import make_consumer, make_producer
from shared.settings import BaseServiceSettings
from tests.e2e.test_webhook_to_slack import alerts_for
from tests.support.inprocess import free_port
from tests.support.pipeline import Pipeline, run_pipeline
from tests.support.processes import Proc, service
from tests.support.secure_kafka import SecureKafka, secure_kafka
from tests.support.stack import ADMIN_DSN, INTAKE, PG_PORT, ROOT, Stack

SERVICES = ("capture", "enrich", "score", "route", "notify", "insights", "outbound")
LOGS = ROOT / ".local" / "test-logs" / "secure-kafka"


@pytest.fixture(scope="module")
def broker() -> Iterator[SecureKafka]:
    with secure_kafka() as running:
        yield running


def leadrelay(broker: SecureKafka, principal: str, prefix: str, *args: str) -> str:
    """The `leadrelay` command as a platform team runs it, with the admin principal's settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADRELAY_")}
    env |= broker.env(principal) | {"LEADRELAY_TOPIC_PREFIX": prefix}
    deadline = time.monotonic() + 90
    while True:
        result = subprocess.run(
            [str(ROOT / ".venv/bin/leadrelay"), *args], env=env, capture_output=True, text=True, timeout=120
        )
        if result.returncode == 0:
            return result.stdout
        if time.monotonic() > deadline:
            raise AssertionError(f"leadrelay {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        time.sleep(1)  # the broker may still be starting


@pytest.fixture(scope="module")
def prefix(stack: Stack, broker: SecureKafka) -> str:
    prefix = f"{stack.topic_prefix}sec{uuid.uuid4().hex[:4]}."
    leadrelay(broker, "admin", prefix, "topics", "apply")
    assert "nothing to do" in leadrelay(broker, "admin", prefix, "topics", "plan"), "apply is idempotent"
    applied = leadrelay(broker, "admin", prefix, "acl", "apply")
    assert "ACLs created" in applied
    assert "0 ACLs created" in leadrelay(broker, "admin", prefix, "acl", "apply"), "apply is idempotent"
    return prefix


@pytest.fixture(scope="module")
def database_logins(stack: Stack) -> Iterator[dict[str, str]]:
    """One database login per service, a member of its role (migration 0019): own schema only."""
    suffix = uuid.uuid4().hex[:6]
    logins = {name: f"lr_{name}_{suffix}" for name in SERVICES}

    async def run(statements: list[str]) -> None:
        conn = await asyncpg.connect(ADMIN_DSN)
        try:
            for statement in statements:
                await conn.execute(statement)
        finally:
            await conn.close()

    asyncio.run(run([f"CREATE ROLE {login} LOGIN IN ROLE leadrelay_{name}" for name, login in logins.items()]))
    yield logins
    asyncio.run(run([f"DROP OWNED BY {login}; DROP ROLE {login}" for login in logins.values()]))


@pytest.fixture(scope="module")
def secure_pipeline(
    stack: Stack, broker: SecureKafka, prefix: str, database_logins: dict[str, str]
) -> Iterator[Pipeline]:
    own = {
        name: broker.env(name)
        | {
            "LEADRELAY_DATABASE_URL": f"postgresql+asyncpg://{database_logins[name]}@127.0.0.1:{PG_PORT}/{stack.database}"
        }
        for name in SERVICES
    }
    production_topics = {"LEADRELAY_CREATE_TOPICS": "false"}
    with run_pipeline(
        stack,
        LOGS,
        insights=True,
        outbound=True,
        topic_prefix=prefix,
        service_env=own,
        extra_env=production_topics,
    ) as running:
        yield running


def settings_for(broker: SecureKafka, principal: str, prefix: str) -> BaseServiceSettings:
    env = broker.env(principal)
    return BaseServiceSettings(
        kafka_bootstrap=env["LEADRELAY_KAFKA_BOOTSTRAP"],
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_username=principal,
        kafka_sasl_password=broker.password(principal),
        kafka_ssl_cafile=Path(env["LEADRELAY_KAFKA_SSL_CAFILE"]),
        topic_prefix=prefix,
    )


async def test_a_lead_reaches_slack_with_one_principal_per_service(secure_pipeline: Pipeline) -> None:
    tag = uuid.uuid4().hex[:10]
    lead = {"email": f"ines.moreau+{tag}@hooli.com", "name": "Ines Moreau", "title": "VP Sales", "source": "website"}
    async with httpx.AsyncClient() as http:
        response = await http.post(f"{secure_pipeline.capture}/v1/webhooks/generic", json=lead, headers=INTAKE)
        assert response.status_code == 202, response.text
        ready = (await http.get(f"{secure_pipeline.insights}/readyz")).json()
    assert ready["ready"] and "causes" not in ready
    [alert] = (await alerts_for(secure_pipeline.slack, {tag}))[tag]
    assert alert["body"]["channel"].startswith("U0")


async def test_enrich_may_not_write_assignments(broker: SecureKafka, prefix: str, secure_pipeline: Pipeline) -> None:
    producer = make_producer(settings_for(broker, "enrich", prefix), "acl-probe")
    await producer.start()
    try:
        await producer.send_and_wait(f"{prefix}lead.captured.dlq", b"{}", key=b"probe")  # its dead letters: allowed
        with pytest.raises(TopicAuthorizationFailedError):
            await producer.send_and_wait(f"{prefix}lead.assigned", b"{}", key=b"probe")
    finally:
        await producer.stop()


async def test_notify_may_not_read_captured_leads(broker: SecureKafka, prefix: str, secure_pipeline: Pipeline) -> None:
    consumer = make_consumer(
        settings_for(broker, "notify", prefix), f"{prefix}lead.captured", group_id=f"{prefix}notify"
    )
    with pytest.raises(TopicAuthorizationFailedError):
        try:
            await consumer.start()
            await consumer.getmany(timeout_ms=5000)
        finally:
            await consumer.stop()


def _unready_cause(proc: Proc, url: str, timeout: float = 45) -> str:
    """Poll /readyz until it answers 503 with a cause for the broker; the process must stay up."""
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        assert proc.popen is not None and proc.popen.poll() is None, f"{proc.name} exited:\n{proc.tail()}"
        try:
            response = httpx.get(url, timeout=10)
            last = response.text
            body = response.json()
            if response.status_code == 503 and "broker" in body.get("causes", {}):
                return str(body["causes"]["broker"])
        except httpx.HTTPError as exc:
            last = repr(exc)
        time.sleep(0.3)
    raise AssertionError(f"{proc.name} /readyz never named a broker cause: {last}\n{proc.tail()}")


@pytest.mark.parametrize(
    ("case", "expected"),
    [("wrong password", "SASL authentication failed"), ("untrusted CA", "certificate is not trusted")],
)
async def test_a_bad_credential_is_a_readiness_failure_that_names_it(
    stack: Stack, broker: SecureKafka, prefix: str, case: str, expected: str
) -> None:
    env = stack.env(LEADRELAY_TOPIC_PREFIX=prefix, LEADRELAY_CREATE_TOPICS="false") | broker.env("enrich")
    if case == "wrong password":
        env["LEADRELAY_KAFKA_SASL_PASSWORD"] = "not-the-password"
    else:
        env["LEADRELAY_KAFKA_SSL_CAFILE"] = "/etc/ssl/certs/ca-certificates.crt"
    port = free_port()
    proc = service("enrich", port, env, LOGS).start()
    try:
        cause = await asyncio.to_thread(_unready_cause, proc, f"http://127.0.0.1:{port}/readyz")
        assert expected in cause
        await asyncio.sleep(2)
        assert proc.popen is not None and proc.popen.poll() is None, "a refused credential is not a crash loop"
    finally:
        proc.stop()


async def test_missing_topics_are_named_at_readiness(stack: Stack, broker: SecureKafka) -> None:
    """Outside development nothing creates topics: a service pointed at unprovisioned ones says which."""
    env = stack.env(LEADRELAY_TOPIC_PREFIX="unprovisioned.", LEADRELAY_CREATE_TOPICS="false") | broker.env("admin")
    port = free_port()
    proc = service("score", port, env, LOGS).start()
    try:
        cause = await asyncio.to_thread(_unready_cause, proc, f"http://127.0.0.1:{port}/readyz")
        assert "topics missing" in cause and "unprovisioned.lead.enriched" in cause
        assert "unprovisioned.lead.scored" in cause
    finally:
        proc.stop()


def test_the_ops_principal_reads_the_lag_of_every_group(
    broker: SecureKafka, prefix: str, secure_pipeline: Pipeline
) -> None:
    """`leadrelay lag` (and the lag exporter, the same code) as the ops principal, with only its ACLs."""
    rows = json.loads(leadrelay(broker, "ops", prefix, "lag", "--json"))
    groups = {r["group"] for r in rows}
    assert {f"{prefix}{name}" for name in ("enrich", "score", "route", "notify")} <= groups, groups
