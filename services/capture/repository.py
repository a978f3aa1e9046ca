"""capture's queries (schema `capture` only): receipts for dedupe, leads, and the transactional outbox."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True)
class OutboxRow:
    id: int
    topic: str
    key: str
    payload: bytes
    headers: list[tuple[str, bytes]]


async def lock_dedupe_keys(session: AsyncSession, keys: list[str]) -> None:
    """Serialise concurrent requests that could be duplicates of each other (until commit)."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) FROM unnest(CAST(:keys AS text[])) AS k ORDER BY k"),
        {"keys": sorted(keys)},
    )


async def find_receipt(
    session: AsyncSession, source: str, idempotency_key: str | None, body_hash: str, window: timedelta
) -> dict[str, Any] | None:
    if idempotency_key is not None:
        row = await session.execute(
            text("SELECT response FROM capture.receipts WHERE source = :s AND idempotency_key = :k"),
            {"s": source, "k": idempotency_key},
        )
    else:
        row = await session.execute(
            text(
                "SELECT response FROM capture.receipts WHERE source = :s AND body_hash = :h"
                " AND received_at > now() - CAST(:w AS interval) ORDER BY received_at LIMIT 1"
            ),
            {"s": source, "h": body_hash, "w": window},
        )
    found = row.scalar_one_or_none()
    return dict(found) if found is not None else None


async def insert_lead(
    session: AsyncSession, lead_id: UUID, email: str | None, phone: str | None, source: str, fields: dict[str, Any]
) -> None:
    await session.execute(
        text(
            "INSERT INTO capture.leads (id, email, phone, source, fields)"
            " VALUES (:id, :email, :phone, :source, CAST(:fields AS jsonb))"
        ),
        {"id": lead_id, "email": email, "phone": phone, "source": source, "fields": orjson.dumps(fields).decode()},
    )


async def insert_receipt(
    session: AsyncSession,
    *,
    receipt_id: UUID,
    source: str,
    idempotency_key: str | None,
    body_hash: str,
    lead_id: UUID,
    response: dict[str, Any],
) -> None:
    await session.execute(
        text(
            "INSERT INTO capture.receipts (id, source, idempotency_key, body_hash, lead_id, response)"
            " VALUES (:id, :source, :key, :hash, :lead_id, CAST(:response AS jsonb))"
        ),
        {
            "id": receipt_id,
            "source": source,
            "key": idempotency_key,
            "hash": body_hash,
            "lead_id": lead_id,
            "response": orjson.dumps(response).decode(),
        },
    )


async def add_outbox(
    session: AsyncSession, topic: str, key: str, payload: bytes, headers: list[tuple[str, bytes]]
) -> None:
    await session.execute(
        text(
            "INSERT INTO capture.outbox (topic, key, payload, headers)"
            " VALUES (:topic, :key, :payload, CAST(:headers AS jsonb))"
        ),
        {
            "topic": topic,
            "key": key,
            "payload": payload,
            "headers": orjson.dumps([[k, v.decode()] for k, v in headers]).decode(),
        },
    )


async def lock_unpublished(session: AsyncSession, limit: int) -> list[OutboxRow]:
    """Oldest unpublished rows, locked; SKIP LOCKED lets several capture instances relay side by side."""
    result = await session.execute(
        text(
            "SELECT id, topic, key, payload, headers FROM capture.outbox WHERE published_at IS NULL"
            " ORDER BY id LIMIT :limit FOR UPDATE SKIP LOCKED"
        ),
        {"limit": limit},
    )
    return [OutboxRow(r.id, r.topic, r.key, bytes(r.payload), [(k, v.encode()) for k, v in r.headers]) for r in result]


async def mark_published(session: AsyncSession, ids: list[int]) -> None:
    await session.execute(text("UPDATE capture.outbox SET published_at = now() WHERE id = ANY(:ids)"), {"ids": ids})


async def count_unpublished(session: AsyncSession) -> int:
    result = await session.execute(text("SELECT count(*) FROM capture.outbox WHERE published_at IS NULL"))
    return int(result.scalar_one())


async def lead_exists(session: AsyncSession, lead_id: UUID) -> bool:
    result = await session.execute(text("SELECT 1 FROM capture.leads WHERE id = :id"), {"id": lead_id})
    return result.scalar_one_or_none() is not None


async def lead_by_email(session: AsyncSession, email: str) -> UUID | None:
    """The most recent lead with this email (case-insensitive)."""
    result = await session.execute(
        text("SELECT id FROM capture.leads WHERE lower(email) = lower(:e) ORDER BY created_at DESC LIMIT 1"),
        {"e": email},
    )
    found = result.scalar_one_or_none()
    return UUID(str(found)) if found is not None else None


async def lead_fields_by_email(session: AsyncSession, email: str) -> tuple[UUID, dict[str, Any]] | None:
    row = (
        await session.execute(
            text("SELECT id, fields FROM capture.leads WHERE lower(email) = lower(:e) ORDER BY created_at LIMIT 1"),
            {"e": email},
        )
    ).one_or_none()
    return (UUID(str(row.id)), dict(row.fields)) if row is not None else None


async def update_lead_fields(session: AsyncSession, lead_id: UUID, phone: str | None, fields: dict[str, Any]) -> None:
    await session.execute(
        text("UPDATE capture.leads SET fields = CAST(:f AS jsonb), phone = :p WHERE id = :id"),
        {"id": lead_id, "p": phone, "f": orjson.dumps(fields).decode()},
    )


async def add_touch(session: AsyncSession, lead_id: UUID, source: str) -> None:
    await session.execute(
        text("INSERT INTO capture.touches (lead_id, source) VALUES (:l, :s)"), {"l": lead_id, "s": source}
    )
