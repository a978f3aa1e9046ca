"""A local 3-broker KRaft cluster (replication factor 3, min.insync.replicas=2, acks=all) with one
broker SIGKILLed mid-stream and restarted later: every lead a vendor got 202 for is alerted once."""

import asyncio
import os
import shutil
import subprocess
import time
import uuid
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from tests.e2e.test_webhook_to_slack import alerts_for
from tests.reliability.test_service_kills import send_burst
from tests.support.pipeline import Pipeline, run_pipeline
from tests.support.ports import free_port_block
from tests.support.report import report
from tests.support.stack import ROOT, Stack

LEADS = 400


def free_cluster_port() -> int:
    """A base port whose three nodes' client and controller ports (base + 10 * i, + 1) are all free."""
    return free_port_block(22)


class Cluster:
    def __init__(self, directory: Path, port: int) -> None:
        self.directory, self.port = directory, port
        self.bootstrap = ",".join(f"127.0.0.1:{port + 10 * i}" for i in range(3))

    def run(self, *args: str) -> None:
        env = {"LEADRELAY_KAFKA_DIR": str(self.directory), "LEADRELAY_KAFKA_PORT": str(self.port), "PATH": _path()}
        subprocess.run(
            ["bash", str(ROOT / "deploy/local/kafka.sh"), "--brokers", "3", *args],
            check=True,
            env=env,
            capture_output=True,
            timeout=120,
        )

    async def wait_for_brokers(self, count: int, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap, request_timeout_ms=3000)
            try:
                await admin.start()
                if len((await admin.describe_cluster())["brokers"]) >= count:
                    return
            except Exception:
                pass
            finally:
                await admin.close()
            await asyncio.sleep(0.5)
        raise AssertionError(f"the cluster did not reach {count} brokers in {timeout}s")


async def replicas_of(cluster: Cluster, topic: str) -> set[int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=cluster.bootstrap)
    await admin.start()
    try:
        [described] = await admin.describe_topics([topic])
    finally:
        await admin.close()
    return {len(p["replicas"]) for p in described["partitions"]}


def _path() -> str:
    return os.environ.get("PATH", "/usr/bin:/bin")


def test_one_of_three_brokers_killed_mid_stream_loses_and_duplicates_nothing(stack: Stack) -> None:
    cluster = Cluster(ROOT / ".local" / f"kafka3-{uuid.uuid4().hex[:6]}", free_cluster_port())
    shutil.rmtree(cluster.directory, ignore_errors=True)
    cluster.run("start")
    prefix = f"{stack.topic_prefix}k3."
    try:
        asyncio.run(cluster.wait_for_brokers(3))
        env = {
            "LEADRELAY_KAFKA_BOOTSTRAP": cluster.bootstrap,
            "LEADRELAY_TOPIC_REPLICATION": "3",
            "LEADRELAY_TOPIC_MIN_INSYNC_REPLICAS": "2",
            "LEADRELAY_TOPIC_PREFIX": prefix,
        }
        provision_topics(env)
        asyncio.run(check_provisioned(cluster, prefix))
        logs = ROOT / ".local" / "test-logs" / "three-brokers"
        production = {**env, "LEADRELAY_CREATE_TOPICS": "false"}
        with run_pipeline(stack, logs, extra_env=production, topic_prefix=prefix) as pipeline:
            accepted, alerts, broker_log = asyncio.run(scenario(pipeline, cluster))
    finally:
        cluster.run("stop")
        shutil.rmtree(cluster.directory, ignore_errors=True)

    assert len(accepted) == LEADS
    lost = [t for t, ms in alerts.items() if not ms]
    duplicated = [t for t, ms in alerts.items() if len(ms) > 1]
    report(
        f"3-broker cluster, {' then '.join(broker_log)} mid-stream: {LEADS} leads,"
        f" lost={len(lost)} dup={len(duplicated)}"
    )
    assert not lost and not duplicated, (lost[:5], duplicated[:5])


def topics_command(env: dict[str, str], action: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("LEADRELAY_")}
    return subprocess.run(
        [str(ROOT / ".venv/bin/leadrelay"), "topics", action], env={**clean, **env}, capture_output=True, text=True
    )


def provision_topics(env: dict[str, str]) -> None:
    """`leadrelay topics apply` as a platform team runs it before the services: idempotent, and it
    refuses to lower the replication factor it set."""
    applied = topics_command(env, "apply")
    assert applied.returncode == 0 and "+ create" in applied.stdout, applied.stdout + applied.stderr
    again = topics_command(env, "plan")
    assert again.returncode == 0 and "nothing to do" in again.stdout, again.stdout
    lower = topics_command(
        {**env, "LEADRELAY_TOPIC_REPLICATION": "1", "LEADRELAY_TOPIC_MIN_INSYNC_REPLICAS": "1"}, "apply"
    )
    assert lower.returncode == 1 and "replication factor 3, declared 1" in lower.stdout, lower.stdout


async def check_provisioned(cluster: Cluster, prefix: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=cluster.bootstrap)
    await admin.start()
    try:
        resource = ConfigResource(ConfigResourceType.TOPIC, f"{prefix}lead.scored")
        [response] = await admin.describe_configs([resource])
    finally:
        await admin.close()
    configs = {entry[0]: entry[1] for entry in response.resources[0][4]}
    assert configs["min.insync.replicas"] == "2" and configs["retention.ms"] == "-1", configs


async def scenario(pipeline: Pipeline, cluster: Cluster) -> tuple[set[str], dict[str, list[object]], list[str]]:
    assert await replicas_of(cluster, f"{pipeline.topic_prefix}lead.scored") == {3}, (
        "topics are provisioned with 3 replicas"
    )
    tags = [uuid.uuid4().hex[:10] for _ in range(LEADS)]
    accepted: set[str] = set()
    log: list[str] = []

    async def fault() -> None:
        await asyncio.sleep(3)
        await asyncio.to_thread(cluster.run, "kill-node", "2")
        log.append("broker 2 SIGKILLed")
        await asyncio.sleep(6)
        await asyncio.to_thread(cluster.run, "start-node", "2")
        await cluster.wait_for_brokers(3)
        log.append("restarted")

    await asyncio.gather(send_burst(pipeline, tags, accepted), fault())
    alerts = await alerts_for(pipeline.slack, accepted, settle=3.0, timeout=180)
    return accepted, alerts, log
