"""The routing configuration a service decides with, changed without a restart.

`LiveConfig` holds the version in force. A batch (or a worker's tick) takes it once, with
`async with live.use() as applied:`, and is decided wholly by that version. A new version is
swapped in between batches: batches begun after the swap get it; `apply` returns only once every
batch begun before has ended, so "applied" means no batch is still being decided by the old one.

`ConfigFollower` is the worker that feeds it: at start it reads `config.published` (compacted, one
partition) from the beginning and the latest row of `config.versions`, applies the newer, and only
then lets the first batch run; afterwards it applies each version published, and reports the version
it applied to `config.applied` (at once, then every `heartbeat_s`) so a publish can wait for every
running instance to have switched. A version this service cannot use (say, a strategy it does not
know) is refused with an error in the log, and the one in force stays."""

import asyncio
import logging
import os
import socket
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition

from shared import config_versions
from shared.backoff import Backoff
from shared.business.loader import BusinessConfig
from shared.business.versioned import BOOTSTRAP, DraftInvalid, with_version
from shared.config_versions import Version
from shared.db import Database
from shared.kafka import make_consumer, topic_name
from shared.settings import BaseServiceSettings
from shared.topics import CONFIG_PUBLISHED

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Applied:
    version: int
    """The id of the published version in force, or 0 (BOOTSTRAP): the YAML file's own."""
    config: BusinessConfig


class LiveConfig:
    def __init__(
        self,
        base: BusinessConfig,
        check: Callable[[BusinessConfig], object] = lambda c: c,
        prepare: Callable[[BusinessConfig], Awaitable[None]] | None = None,
    ) -> None:
        """`base`: the YAML file (the bootstrap, and everything not versioned); `check`: this
        service's own test of a config (raises ValueError if it cannot use it); `prepare`: what
        must be true before a batch is decided by it (route's reps and pools tables)."""
        self.base = base
        self._check = check
        self._prepare = prepare
        self._current = Applied(BOOTSTRAP, base)
        self._in_use: Counter[int] = Counter()
        self._drained = asyncio.Condition()
        self.loaded = asyncio.Event()
        """Set once the latest version has been looked for at start; batches wait for it."""

    @classmethod
    def fixed(cls, config: BusinessConfig) -> "LiveConfig":
        """A config that no follower changes (tests, tools): loaded from the start."""
        live = cls(config)
        live.loaded.set()
        return live

    @property
    def current(self) -> Applied:
        return self._current

    def build(self, document: dict[str, object]) -> BusinessConfig:
        """The config a version's document makes here; raises DraftInvalid or ValueError."""
        config = with_version(self.base, dict(document))
        self._check(config)
        return config

    @asynccontextmanager
    async def use(self) -> AsyncIterator[Applied]:
        await self.loaded.wait()
        applied = self._current
        self._in_use[applied.version] += 1
        try:
            yield applied
        finally:
            self._in_use[applied.version] -= 1
            async with self._drained:
                self._drained.notify_all()

    async def apply(self, version: Version) -> bool:
        """Swap in `version` (if newer than the one in force) and wait until no batch is decided by
        an older one. False if this service cannot use it."""
        if version.id <= self._current.version:
            return True
        try:
            config = self.build(version.document).at_version(version.id)
        except (DraftInvalid, ValueError) as exc:
            log.error("routing version %s refused here, %s stays in force: %s", version.id, self._current.version, exc)
            return False
        if self._prepare is not None:
            await self._prepare(config)
        self._current = Applied(version.id, config)
        log.info("routing version %s applied (%s: %s)", version.id, version.author, version.message)
        async with self._drained:
            await self._drained.wait_for(lambda: all(n == 0 for v, n in self._in_use.items() if v < version.id))
        return True


def instance_name(service: str) -> str:
    return f"{service}@{socket.gethostname()}:{os.getpid()}"


class ConfigFollower:
    """The worker applying published versions to a LiveConfig (see the module docstring)."""

    def __init__(
        self,
        live: LiveConfig,
        settings: BaseServiceSettings,
        db: Database,
        service: str,
        heartbeat_s: float = 5.0,
        topic_wait_s: float = 10.0,
    ) -> None:
        self._live, self._settings, self._db, self._service = live, settings, db, service
        self.instance = instance_name(service)
        self._heartbeat_s, self._topic_wait_s = heartbeat_s, topic_wait_s
        self._stopping = asyncio.Event()
        self._topic = topic_name(settings, CONFIG_PUBLISHED)
        self._namespace = settings.topic_prefix

    def stop(self) -> None:
        self._stopping.set()

    def readiness(self) -> dict[str, bool]:
        return {"routing_config": self._live.loaded.is_set()}

    async def run(self) -> None:
        """Look for the latest version in both places before the first batch; if neither the topic
        nor the table can be read, batches wait (deciding with the file's routing while a published
        version exists would route by rules ops have replaced)."""
        backoff = Backoff("routing_config", initial=1.0)
        consumer: AIOKafkaConsumer | None = None
        try:
            while True:
                db_ok, from_db = await self._from_database()
                consumer, from_topic = await self._read_topic()
                if db_ok or consumer is not None or self._stopping.is_set():
                    break
                log.error("neither config.published nor config.versions can be read; batches wait")
                await backoff.wait(self._stopping)
            newest = _newer(from_db, from_topic)
            if newest is not None:
                await self._live.apply(newest)
            self._live.loaded.set()
            await self._report()
            await self._follow(consumer)
        finally:
            self._live.loaded.set()
            if consumer is not None:
                await consumer.stop()
            await self._forget()

    async def _read_topic(self) -> tuple[AIOKafkaConsumer | None, Version | None]:
        """The consumer, positioned after everything published so far, and the newest version in it;
        (None, None) when the topic cannot be read within `topic_wait_s`."""
        consumer = make_consumer(self._settings, enable_auto_commit=False, auto_offset_reset="earliest")
        newest: Version | None = None
        try:
            async with asyncio.timeout(self._topic_wait_s):
                await consumer.start()
                partition = TopicPartition(self._topic, 0)
                consumer.assign([partition])
                await consumer.seek_to_beginning(partition)
                end = (await consumer.end_offsets([partition]))[partition]
                while await consumer.position(partition) < end:
                    for records in (await consumer.getmany(partition, timeout_ms=500)).values():
                        for record in records:
                            newest = _newer(newest, _version_of(record.value))
            return consumer, newest
        except Exception as exc:
            log.warning("config.published unreadable (%r); following config.versions instead", exc)
            await consumer.stop()
            return None, None

    async def _follow(self, consumer: AIOKafkaConsumer | None) -> None:
        """Apply each version published from now on; report what is in force every heartbeat (a
        follower that could not read the topic at start looks in the database instead)."""
        loop = asyncio.get_running_loop()
        next_report = loop.time() + self._heartbeat_s
        while not self._stopping.is_set():
            if consumer is not None:
                batches = await consumer.getmany(timeout_ms=500)
                for records in batches.values():
                    for record in records:
                        version = _version_of(record.value)
                        if version is not None and await self._live.apply(version):
                            await self._report()
            else:
                try:
                    async with asyncio.timeout(self._heartbeat_s):
                        await self._stopping.wait()
                except TimeoutError:
                    _, newest = await self._from_database()
                    if newest is not None and await self._live.apply(newest):
                        await self._report()
            if loop.time() >= next_report:
                await self._report()
                next_report = loop.time() + self._heartbeat_s

    async def _from_database(self) -> tuple[bool, Version | None]:
        """(whether the table could be read, its latest version)."""
        try:
            async with self._db.session_scope() as session:
                return True, await config_versions.latest(session, self._namespace)
        except Exception as exc:
            log.warning("cannot read config.versions (%r)", exc)
            return False, None

    async def _report(self) -> None:
        try:
            async with self._db.session_scope() as session:
                await config_versions.record_applied(
                    session, self._namespace, self._service, self.instance, self._live.current.version
                )
        except Exception as exc:
            log.warning("cannot report the routing version applied (%r)", exc)

    async def _forget(self) -> None:
        try:
            async with self._db.session_scope() as session:
                await config_versions.forget(session, self._namespace, self._service, self.instance)
        except Exception as exc:
            log.warning("cannot withdraw this instance from config.applied (%r)", exc)


def _version_of(value: bytes | None) -> Version | None:
    if value is None:
        return None
    try:
        return Version.from_record(value)
    except (ValueError, KeyError, TypeError) as exc:
        log.error("unreadable record on config.published, skipped: %r", exc)
        return None


def _newer(a: Version | None, b: Version | None) -> Version | None:
    if a is None or b is None:
        return a or b
    return a if a.id >= b.id else b
