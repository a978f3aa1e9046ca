"""The versioned routing configuration in PostgreSQL (schema `config`, migration 0023): published
versions, append-only, and which version each running service instance applied last. Every call
names the namespace: the deployment's topic prefix, as `config.published` is prefixed."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True)
class Version:
    id: int
    document: dict[str, Any]
    author: str
    message: str
    diff: list[dict[str, Any]]
    restores: int | None
    created_at: datetime

    def record(self) -> bytes:
        """The value sent on `config.published`."""
        return orjson.dumps(self.public(with_document=True))

    def public(self, with_document: bool = False) -> dict[str, Any]:
        shown: dict[str, Any] = {
            "id": self.id,
            "author": self.author,
            "message": self.message,
            "diff": self.diff,
            "restores": self.restores,
            "created_at": self.created_at.isoformat(),
        }
        return {**shown, "document": self.document} if with_document else shown

    @classmethod
    def from_record(cls, value: bytes) -> "Version":
        raw = orjson.loads(value)
        return cls(
            int(raw["id"]),
            dict(raw["document"]),
            str(raw["author"]),
            str(raw["message"]),
            list(raw["diff"]),
            raw.get("restores"),
            datetime.fromisoformat(raw["created_at"]),
        )


_COLUMNS = "id, document, author, message, diff, restores, created_at"


def _version(row: Any) -> Version:
    return Version(row.id, row.document, row.author, row.message, row.diff, row.restores, row.created_at)


async def latest(session: AsyncSession, namespace: str) -> Version | None:
    found = await listed(session, namespace, 1)
    return found[0] if found else None


async def get(session: AsyncSession, namespace: str, version_id: int) -> Version | None:
    row = (
        await session.execute(
            text(f"SELECT {_COLUMNS} FROM config.versions WHERE namespace = :ns AND id = :i"),
            {"ns": namespace, "i": version_id},
        )
    ).first()
    return _version(row) if row else None


async def listed(session: AsyncSession, namespace: str, limit: int) -> list[Version]:
    rows = await session.execute(
        text(f"SELECT {_COLUMNS} FROM config.versions WHERE namespace = :ns ORDER BY id DESC LIMIT :n"),
        {"ns": namespace, "n": limit},
    )
    return [_version(r) for r in rows]


async def lock_for_publish(session: AsyncSession, namespace: str) -> None:
    """Held to the end of the transaction: one publish at a time, so ids and the topic's order agree."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtext('leadrelay.config.publish:' || :ns))"), {"ns": namespace}
    )


async def append(
    session: AsyncSession,
    namespace: str,
    document: dict[str, Any],
    author: str,
    message: str,
    diff: list[dict[str, Any]],
    restores: int | None,
) -> Version:
    row = (
        await session.execute(
            text(
                "INSERT INTO config.versions (namespace, document, author, message, diff, restores)"
                " VALUES (:ns, CAST(:d AS jsonb), :a, :m, CAST(:f AS jsonb), :r)"
                f" RETURNING {_COLUMNS}"
            ),
            {
                "ns": namespace,
                "d": orjson.dumps(document).decode(),
                "a": author,
                "m": message,
                "f": orjson.dumps(diff).decode(),
                "r": restores,
            },
        )
    ).one()
    return _version(row)


async def record_applied(session: AsyncSession, namespace: str, service: str, instance: str, version: int) -> None:
    await session.execute(
        text(
            "INSERT INTO config.applied (namespace, service, instance, version, seen_at)"
            " VALUES (:ns, :s, :i, :v, now()) ON CONFLICT (namespace, service, instance)"
            " DO UPDATE SET version = EXCLUDED.version, seen_at = now()"
        ),
        {"ns": namespace, "s": service, "i": instance, "v": version},
    )


async def forget(session: AsyncSession, namespace: str, service: str, instance: str) -> None:
    """An instance stopping: a publish no longer waits for it."""
    await session.execute(
        text("DELETE FROM config.applied WHERE namespace = :ns AND service = :s AND instance = :i"),
        {"ns": namespace, "s": service, "i": instance},
    )


async def live_instances(session: AsyncSession, namespace: str, seen_within_s: float) -> list[dict[str, Any]]:
    """Instances that reported within the window: {service, instance, version, seen_at}."""
    rows = await session.execute(
        text(
            "SELECT service, instance, version, seen_at FROM config.applied"
            " WHERE namespace = :ns AND seen_at > now() - make_interval(secs => :w) ORDER BY service, instance"
        ),
        {"ns": namespace, "w": seen_within_s},
    )
    return [dict(r._mapping) for r in rows]
