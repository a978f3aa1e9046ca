"""Kafka clients and admin: one producer per process, explicit topic creation, a broker readiness probe.
Every client is built here, with the process's Kafka security settings (shared/kafka_security.py)."""

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.conn import create_conn

from shared.backoff import Backoff
from shared.kafka_security import describe_kafka_failure, kafka_client_options
from shared.settings import BaseServiceSettings
from shared.topic_plan import declared_topics
from shared.topology import service_topics

log = logging.getLogger(__name__)
TOPIC_ALREADY_EXISTS = 36


def topic_name(settings: BaseServiceSettings, name: str) -> str:
    return f"{settings.topic_prefix}{name}"


def make_producer(settings: BaseServiceSettings, client_id: str) -> AIOKafkaProducer:
    """acks=all + idempotence: an acknowledged send is durable and retries never duplicate it.
    `linger_ms=0`: a record goes out at once. Batching does not need the wait: aiokafka keeps one
    request in flight per broker and drains everything queued meanwhile into the next one, so under
    load records still travel in batches, while a lone lead no longer waits a linger at every hop."""
    return AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap,
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        linger_ms=0,
        request_timeout_ms=10_000,
        **kafka_client_options(settings),
    )


def make_consumer(settings: BaseServiceSettings, *topics: str, **options: Any) -> AIOKafkaConsumer:
    """A consumer with the process's bootstrap and security settings; `options` as aiokafka takes them."""
    return AIOKafkaConsumer(
        *topics, bootstrap_servers=settings.kafka_bootstrap, **options, **kafka_client_options(settings)
    )


def make_admin(settings: BaseServiceSettings, request_timeout_ms: int = 15_000) -> AIOKafkaAdminClient:
    return AIOKafkaAdminClient(
        bootstrap_servers=settings.kafka_bootstrap,
        request_timeout_ms=request_timeout_ms,
        **kafka_client_options(settings),
    )


async def start_with_retry(client: AIOKafkaProducer, what: str, stopping: asyncio.Event) -> bool:
    """Start a Kafka client, retrying while the broker is unreachable. False if asked to stop first."""
    backoff = Backoff("kafka_start")
    while not stopping.is_set():
        try:
            await client.start()
            return True
        except Exception as exc:  # aiokafka raises several types for an unreachable broker
            log.warning("%s cannot reach Kafka yet (%s); retrying", what, exc)
            await backoff.wait(stopping)
    return False


async def ensure_topics(settings: BaseServiceSettings, names: Iterable[str] | None = None) -> None:
    """Create the missing topics as the declared table says (development and tests; in production
    `leadrelay topics apply` provisions them), or only those of `names` (unprefixed). Existing ones
    are left alone."""
    wanted = None if names is None else {topic_name(settings, n) for n in names}
    admin = make_admin(settings)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [
            NewTopic(t.name, t.partitions, t.replication, topic_configs=t.configs())
            for t in declared_topics(settings)
            if t.name not in existing and (wanted is None or t.name in wanted)
        ]
        if not missing:
            return
        response = await admin.create_topics(missing)
        for topic, code, *rest in response.topic_errors:
            if code not in (0, TOPIC_ALREADY_EXISTS):
                raise RuntimeError(f"cannot create topic {topic}: error {code} {rest}")
        log.info("created topics %s", [t.name for t in missing])
    finally:
        await admin.close()


def required_topics(settings: BaseServiceSettings, service: str) -> list[str]:
    """The topics a service reads and writes (its dead-letter topics included), with the prefix."""
    spec = service_topics(service)
    if spec is None:
        return []
    return [topic_name(settings, name) for name in spec.topics()]


async def missing_topics(settings: BaseServiceSettings, service: str) -> list[str]:
    """Which of the service's topics the broker does not list (to this principal)."""
    admin = make_admin(settings)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
    finally:
        await admin.close()
    return [t for t in required_topics(settings, service) if t not in existing]


async def diagnose(settings: BaseServiceSettings) -> str | None:
    """Why a client cannot bootstrap: aiokafka only logs each broker's error and raises "Unable to
    bootstrap", so one connection is opened here to the first bootstrap broker to see the real one
    (refused credentials, an untrusted certificate, a TLS mismatch). None if that connection works."""
    host, _, port = settings.kafka_bootstrap.split(",")[0].strip().rpartition(":")
    try:
        async with asyncio.timeout(3.0):
            conn = await create_conn(
                host.strip("[]"), int(port), request_timeout_ms=3000, **kafka_client_options(settings)
            )
        conn.close()
        return None
    except Exception as exc:
        return describe_kafka_failure(exc)


class BrokerProbe:
    """Ready means an admin metadata call succeeds, not merely an open port. One admin client is kept
    for every probe (a new one per probe costs connections and broker work each few seconds); after a
    failure it is closed and the next probe starts a fresh one."""

    def __init__(self, settings: BaseServiceSettings) -> None:
        self._settings = settings
        self._admin: AIOKafkaAdminClient | None = None
        self.failure: str | None = None
        """Why the last probe failed, for /readyz (wrong password, untrusted certificate, ...)."""

    async def reachable(self) -> bool:
        try:
            async with asyncio.timeout(3.0):
                if self._admin is None:
                    admin = make_admin(self._settings, request_timeout_ms=3000)
                    self._admin = admin
                    await admin.start()
                await self._admin.describe_cluster()
            self.failure = None
            return True
        except Exception as exc:
            await self.close()
            self.failure = await diagnose(self._settings) or describe_kafka_failure(exc)
            return False

    async def close(self) -> None:
        admin, self._admin = self._admin, None
        if admin is not None:
            try:
                await admin.close()
            except Exception:
                log.debug("admin close failed", exc_info=True)
