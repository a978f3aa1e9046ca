"""Kafka clients and admin: one producer per process, explicit topic creation, a broker readiness probe."""

import asyncio
import logging
from collections.abc import Iterable

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from shared.backoff import Backoff
from shared.settings import BaseServiceSettings
from shared.topics import all_topic_names

log = logging.getLogger(__name__)
TOPIC_ALREADY_EXISTS = 36


def topic_name(settings: BaseServiceSettings, name: str) -> str:
    return f"{settings.topic_prefix}{name}"


def make_producer(settings: BaseServiceSettings, client_id: str) -> AIOKafkaProducer:
    """acks=all + idempotence: an acknowledged send is durable and retries never duplicate it."""
    return AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap,
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        linger_ms=1,
        request_timeout_ms=10_000,
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
    """Create the missing topics (auto-create is off on our brokers); existing ones are left alone."""
    wanted = [topic_name(settings, n) for n in (names if names is not None else all_topic_names())]
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap, request_timeout_ms=15_000)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [
            NewTopic(n, settings.topic_partitions, settings.topic_replication) for n in wanted if n not in existing
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


class BrokerProbe:
    """Ready means an admin metadata call succeeds, not merely an open port. One admin client is kept
    for every probe (a new one per probe costs connections and broker work each few seconds); after a
    failure it is closed and the next probe starts a fresh one."""

    def __init__(self, settings: BaseServiceSettings) -> None:
        self._settings = settings
        self._admin: AIOKafkaAdminClient | None = None

    async def reachable(self) -> bool:
        try:
            async with asyncio.timeout(3.0):
                if self._admin is None:
                    admin = AIOKafkaAdminClient(
                        bootstrap_servers=self._settings.kafka_bootstrap, request_timeout_ms=3000
                    )
                    self._admin = admin
                    await admin.start()
                await self._admin.describe_cluster()
            return True
        except Exception:
            await self.close()
            return False

    async def close(self) -> None:
        admin, self._admin = self._admin, None
        if admin is not None:
            try:
                await admin.close()
            except Exception:
                log.debug("admin close failed", exc_info=True)
