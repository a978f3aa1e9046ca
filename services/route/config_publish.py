"""Publishing a routing version: validated as this service would use it, stored append-only with its
author, message and diff, sent on the compacted `config.published` topic (acknowledged by the broker
before the row commits, so a version is never stored without being sent; a commit that fails after
the send leaves a record whose id the table lacks, which followers apply all the same), then waited
on until every running follower has applied it (bounded; what is still pending is returned)."""

import asyncio
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaProducer

from shared import config_versions
from shared.business.loader import BusinessConfig
from shared.business.versioned import DraftInvalid, diff, routing_part
from shared.config_versions import Version
from shared.db import Database
from shared.kafka import topic_name
from shared.live_config import LiveConfig
from shared.settings import BaseServiceSettings
from shared.topics import CONFIG_PUBLISHED

RECORD_KEY = b"routing"
LIVE_WITHIN_S = 20.0
"""A follower that reported within this is running (they report every 5 s)."""


@dataclass(frozen=True)
class Published:
    version: Version
    applied: list[dict[str, Any]] = field(default_factory=list)
    pending: list[dict[str, Any]] = field(default_factory=list)

    def public(self) -> dict[str, Any]:
        def shown(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return [{"service": r["service"], "instance": r["instance"], "version": r["version"]} for r in rows]

        return {**self.version.public(), "applied": shown(self.applied), "pending": shown(self.pending)}


class ConfigPublisher:
    def __init__(
        self, db: Database, producer: AIOKafkaProducer, settings: BaseServiceSettings, live: LiveConfig
    ) -> None:
        self._db, self._producer, self._live = db, producer, live
        self._topic = topic_name(settings, CONFIG_PUBLISHED)
        self._namespace = settings.topic_prefix

    async def versions(self, limit: int) -> list[Version]:
        async with self._db.session_scope() as session:
            return await config_versions.listed(session, self._namespace, limit)

    async def version(self, version_id: int) -> Version | None:
        async with self._db.session_scope() as session:
            return await config_versions.get(session, self._namespace, version_id)

    def bootstrap_document(self) -> dict[str, Any]:
        """Version 0: the YAML file's own routing part."""
        return routing_part(self._live.base)

    async def current_document(self) -> tuple[int, dict[str, Any]]:
        """The latest version's id and document, or 0 and the YAML file's routing part."""
        async with self._db.session_scope() as session:
            latest = await config_versions.latest(session, self._namespace)
        return (latest.id, latest.document) if latest else (0, self.bootstrap_document())

    def build(self, document: dict[str, Any]) -> BusinessConfig:
        """The config a draft makes here; raises DraftInvalid or ValueError."""
        return self._live.build(document)

    def changes(self, before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
        """The diff between two documents in full (defaults included), or as written if one no
        longer validates against the file (a version older than a change to the file)."""

        def full(document: dict[str, Any]) -> dict[str, Any]:
            try:
                return routing_part(self.build(document), compact=False)
            except (DraftInvalid, ValueError):
                return document

        return diff(full(before), full(after))

    def check(self, document: dict[str, Any]) -> dict[str, Any]:
        """The document as it will be stored (defaults filled in); raises DraftInvalid or ValueError."""
        return routing_part(self.build(document))

    async def publish(
        self, document: dict[str, Any], author: str, message: str, restores: int | None = None, wait_s: float = 10.0
    ) -> Published:
        stored = self.check(document)
        async with self._db.session_scope() as session:
            await config_versions.lock_for_publish(session, self._namespace)
            previous = await config_versions.latest(session, self._namespace)
            before = previous.document if previous else routing_part(self._live.base)
            changes = self.changes(before, stored)
            version = await config_versions.append(session, self._namespace, stored, author, message, changes, restores)
            await self._producer.send_and_wait(self._topic, value=version.record(), key=RECORD_KEY)
        return await self._wait_applied(version, wait_s)

    async def _wait_applied(self, version: Version, wait_s: float) -> Published:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_s
        while True:
            async with self._db.session_scope() as session:
                running = await config_versions.live_instances(session, self._namespace, LIVE_WITHIN_S)
            applied = [r for r in running if r["version"] >= version.id]
            pending = [r for r in running if r["version"] < version.id]
            if not pending or loop.time() >= deadline:
                return Published(version, applied, pending)
            await asyncio.sleep(0.05)
