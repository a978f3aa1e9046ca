"""capture's queries (schema `capture` only): receipts for dedupe, leads, and the transactional outbox."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from shared import raw_sql


@dataclass(frozen=True)
class OutboxRow:
    id: int
    topic: str
    key: str
    payload: bytes
    headers: list[tuple[str, bytes]]


async def lock_dedupe_keys(session: AsyncSession, keys: list[str]) -> None:
    """Serialise concurrent requests that could be duplicates of each other (until commit)."""
    await raw_sql.execute(
        session,
        "SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) FROM unnest(CAST(:keys AS text[])) AS k ORDER BY k",
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


@dataclass(frozen=True)
class NewLead:
    id: UUID
    source: str
    trust: str
    email: str | None
    phone: str | None
    fields: dict[str, Any]


@dataclass(frozen=True)
class Receipt:
    id: UUID
    namespace: str
    idempotency_key: str | None
    body_hash: str
    response: dict[str, Any]


@dataclass(frozen=True)
class Lookup:
    """One request's dedupe question: its earlier answer (by key, else by body within the window),
    and the lead already known by its email."""

    namespace: str
    idempotency_key: str | None
    body_hash: str
    window: timedelta
    email: str | None


Found = tuple[dict[str, Any] | None, "KnownLead | None"]


async def receipts_and_known_leads(session: AsyncSession, lookups: list[Lookup]) -> list[Found]:
    """Every lookup's earlier answer and known lead, in the lookups' order, in one round trip."""
    rows = await raw_sql.fetch(
        session,
        "SELECT (CASE WHEN v.k IS NOT NULL THEN"
        " (SELECT response FROM capture.receipts r WHERE r.source = v.s AND r.idempotency_key = v.k)"
        " ELSE (SELECT response FROM capture.receipts r WHERE r.source = v.s AND r.body_hash = v.h"
        " AND r.received_at > now() - make_interval(secs => v.w) ORDER BY r.received_at LIMIT 1) END)"
        " AS previous,"
        " (SELECT jsonb_build_object('id', id, 'fields', fields, 'trust', trust) FROM capture.leads"
        " WHERE v.e IS NOT NULL AND lower(email) = lower(v.e) ORDER BY created_at LIMIT 1) AS known"
        " FROM unnest(CAST(:s AS text[]), CAST(:k AS text[]), CAST(:h AS text[]), CAST(:w AS float8[]),"
        " CAST(:e AS text[])) WITH ORDINALITY AS v(s, k, h, w, e, n) ORDER BY v.n",
        {
            "s": [x.namespace for x in lookups],
            "k": [x.idempotency_key for x in lookups],
            "h": [x.body_hash for x in lookups],
            "w": [x.window.total_seconds() for x in lookups],
            "e": [x.email for x in lookups],
        },
    )
    return [
        (
            dict(r.previous) if r.previous is not None else None,
            KnownLead(UUID(r.known["id"]), dict(r.known["fields"]), r.known["trust"]) if r.known else None,
        )
        for r in rows
    ]


async def receipt_and_known_lead(session: AsyncSession, lookup: Lookup) -> Found:
    [found] = await receipts_and_known_leads(session, [lookup])
    return found


NewLeadRow = tuple[NewLead, OutboxRow, "Receipt | None"]


async def store_new_leads(session: AsyncSession, rows: Sequence[NewLeadRow]) -> None:
    """New leads, each with its first touch, its outbox row and (for intake) its receipt, in one
    statement; outbox ids follow the list's order."""
    await raw_sql.execute(
        session,
        "WITH v AS (SELECT * FROM unnest(CAST(:id AS uuid[]), CAST(:email AS text[]), CAST(:phone AS text[]),"
        " CAST(:source AS text[]), CAST(:fields AS text[]), CAST(:trust AS text[]), CAST(:topic AS text[]),"
        " CAST(:key AS text[]), CAST(:payload AS bytea[]), CAST(:headers AS text[]), CAST(:rid AS uuid[]),"
        " CAST(:ns AS text[]), CAST(:ik AS text[]), CAST(:bh AS text[]), CAST(:response AS text[]))"
        " WITH ORDINALITY AS u(id, email, phone, source, fields, trust, topic, key, payload, headers,"
        " rid, ns, ik, bh, response, n)),"
        " lead AS (INSERT INTO capture.leads (id, email, phone, source, fields, trust)"
        " SELECT id, email, phone, source, CAST(fields AS jsonb), trust FROM v),"
        " touch AS (INSERT INTO capture.touches (lead_id, source, trust) SELECT id, source, trust FROM v),"
        " outbox AS (INSERT INTO capture.outbox (topic, key, payload, headers)"
        " SELECT topic, key, payload, CAST(headers AS jsonb) FROM v ORDER BY n)"
        " INSERT INTO capture.receipts (id, source, idempotency_key, body_hash, lead_id, response)"
        " SELECT rid, ns, ik, bh, id, CAST(response AS jsonb) FROM v WHERE rid IS NOT NULL",
        {
            "id": [lead.id for lead, _, _ in rows],
            "email": [lead.email for lead, _, _ in rows],
            "phone": [lead.phone for lead, _, _ in rows],
            "source": [lead.source for lead, _, _ in rows],
            "fields": [orjson.dumps(lead.fields).decode() for lead, _, _ in rows],
            "trust": [lead.trust for lead, _, _ in rows],
            "topic": [o.topic for _, o, _ in rows],
            "key": [o.key for _, o, _ in rows],
            "payload": [o.payload for _, o, _ in rows],
            "headers": [orjson.dumps([[k, v.decode()] for k, v in o.headers]).decode() for _, o, _ in rows],
            "rid": [r.id if r else None for _, _, r in rows],
            "ns": [r.namespace if r else None for _, _, r in rows],
            "ik": [r.idempotency_key if r else None for _, _, r in rows],
            "bh": [r.body_hash if r else None for _, _, r in rows],
            "response": [orjson.dumps(r.response).decode() if r else None for _, _, r in rows],
        },
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


PUBLISHER_LOCK = 0x6C72_6F75_7462  # one publishing relay at a time, across every capture replica


async def lock_unpublished(session: AsyncSession, limit: int) -> list[OutboxRow] | None:
    """Oldest unpublished rows, or None when another relay is publishing.

    One relay publishes at a time (a transaction-scoped advisory lock; the others stand by). Two
    relays taking disjoint batches side by side could publish one lead's later row before its
    earlier one. In one relay, rows go out in id order, and a lead's rows get ids in commit order
    because capture writes them holding the lead's email lock."""
    [held] = await raw_sql.fetch(session, "SELECT pg_try_advisory_xact_lock(:k) AS held", {"k": PUBLISHER_LOCK})
    if not held.held:
        return None
    result = await raw_sql.fetch(
        session,
        "SELECT id, topic, key, payload, headers FROM capture.outbox WHERE published_at IS NULL"
        " AND failed_at IS NULL ORDER BY id LIMIT :limit",
        {"limit": limit},
    )
    return [OutboxRow(r.id, r.topic, r.key, bytes(r.payload), [(k, v.encode()) for k, v in r.headers]) for r in result]


async def mark_published(session: AsyncSession, ids: list[int]) -> None:
    await raw_sql.execute(session, "UPDATE capture.outbox SET published_at = now() WHERE id = ANY(:ids)", {"ids": ids})


async def mark_failed(session: AsyncSession, outbox_id: int, error: str) -> None:
    """A row the broker will never take: set aside with a dead-letter record, so the rows behind it flow."""
    await session.execute(text("UPDATE capture.outbox SET failed_at = now() WHERE id = :id"), {"id": outbox_id})
    await session.execute(
        text("INSERT INTO capture.outbox_dead_letters (outbox_id, error) VALUES (:id, :e) ON CONFLICT DO NOTHING"),
        {"id": outbox_id, "e": error[:2000]},
    )


async def count_unpublished(session: AsyncSession) -> int:
    result = await session.execute(
        text("SELECT count(*) FROM capture.outbox WHERE published_at IS NULL AND failed_at IS NULL")
    )
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


@dataclass(frozen=True)
class KnownLead:
    id: UUID
    fields: dict[str, Any]
    trust: str


async def update_lead_fields(
    session: AsyncSession, lead_id: UUID, phone: str | None, fields: dict[str, Any], trust: str
) -> None:
    await session.execute(
        text("UPDATE capture.leads SET fields = CAST(:f AS jsonb), phone = :p, trust = :t WHERE id = :id"),
        {"id": lead_id, "p": phone, "f": orjson.dumps(fields).decode(), "t": trust},
    )


async def add_touch(
    session: AsyncSession, lead_id: UUID, source: str, trust: str = "trusted", fields: dict[str, Any] | None = None
) -> None:
    await session.execute(
        text("INSERT INTO capture.touches (lead_id, source, trust, fields) VALUES (:l, :s, :t, CAST(:f AS jsonb))"),
        {"l": lead_id, "s": source, "t": trust, "f": orjson.dumps(fields).decode() if fields is not None else None},
    )


async def receipts_for_keys(session: AsyncSession, namespace: str, keys: list[str]) -> dict[str, dict[str, Any]]:
    """Earlier answers to any of these idempotency keys in this namespace, by key."""
    if not keys:
        return {}
    rows = await session.execute(
        text(
            "SELECT idempotency_key, response FROM capture.receipts"
            " WHERE source = :s AND idempotency_key = ANY(CAST(:k AS text[]))"
        ),
        {"s": namespace, "k": keys},
    )
    return {r.idempotency_key: dict(r.response) for r in rows}


async def lead_ids_by_emails(session: AsyncSession, emails: list[str]) -> dict[str, UUID]:
    """The newest lead for each of these emails (lower-cased), as `lead_by_email` picks it."""
    if not emails:
        return {}
    rows = await session.execute(
        text(
            "SELECT DISTINCT ON (lower(email)) lower(email) AS e, id FROM capture.leads"
            " WHERE lower(email) = ANY(CAST(:e AS text[])) ORDER BY lower(email), created_at DESC"
        ),
        {"e": [e.lower() for e in emails]},
    )
    return {r.e: UUID(str(r.id)) for r in rows}


async def existing_lead_ids(session: AsyncSession, ids: list[UUID]) -> set[UUID]:
    if not ids:
        return set()
    rows = await session.execute(text("SELECT id FROM capture.leads WHERE id = ANY(:ids)"), {"ids": ids})
    return {UUID(str(r.id)) for r in rows}


async def add_outbox_and_receipts(session: AsyncSession, rows: list[tuple[OutboxRow, Receipt, UUID]]) -> None:
    """Many outbox rows and their receipts in one statement (outbox ids keep the list's order)."""
    await raw_sql.execute(
        session,
        "WITH outbox AS (INSERT INTO capture.outbox (topic, key, payload, headers)"
        " SELECT t, k, p, CAST(h AS jsonb) FROM unnest(CAST(:t AS text[]), CAST(:k AS text[]),"
        " CAST(:p AS bytea[]), CAST(:h AS text[])) WITH ORDINALITY AS u(t, k, p, h, n) ORDER BY n)"
        " INSERT INTO capture.receipts (id, source, idempotency_key, body_hash, lead_id, response)"
        " SELECT i, s, ik, bh, l, CAST(r AS jsonb) FROM unnest(CAST(:i AS uuid[]), CAST(:s AS text[]),"
        " CAST(:ik AS text[]), CAST(:bh AS text[]), CAST(:l AS uuid[]), CAST(:r AS text[]))"
        " AS v(i, s, ik, bh, l, r)",
        {
            "t": [o.topic for o, _, _ in rows],
            "k": [o.key for o, _, _ in rows],
            "p": [o.payload for o, _, _ in rows],
            "h": [orjson.dumps([[k, v.decode()] for k, v in o.headers]).decode() for o, _, _ in rows],
            "i": [r.id for _, r, _ in rows],
            "s": [r.namespace for _, r, _ in rows],
            "ik": [r.idempotency_key for _, r, _ in rows],
            "bh": [r.body_hash for _, r, _ in rows],
            "l": [lead for _, _, lead in rows],
            "r": [orjson.dumps(r.response).decode() for _, r, _ in rows],
        },
    )


async def add_field_reviews(
    session: AsyncSession, lead_id: UUID, source: str, found: dict[str, tuple[str | None, str]]
) -> None:
    """Proposed values wait for ops; the same pending proposal is stored once."""
    if not found:
        return
    await session.execute(
        text(
            "INSERT INTO capture.field_reviews (lead_id, field, current_value, proposed_value, source)"
            " SELECT :l, f, c, p, :s"
            " FROM unnest(CAST(:f AS text[]), CAST(:c AS text[]), CAST(:p AS text[])) AS u(f, c, p)"
            " ON CONFLICT (lead_id, field, proposed_value) WHERE status = 'pending' DO NOTHING"
        ),
        {
            "l": lead_id,
            "s": source,
            "f": list(found),
            "c": [current for current, _ in found.values()],
            "p": [proposed for _, proposed in found.values()],
        },
    )


REVIEW_COLUMNS = (
    "id, lead_id, field, current_value, proposed_value, source, status, proposed_at, decided_by, decided_at"
)


async def field_reviews(session: AsyncSession, lead_id: UUID, limit: int = 200) -> list[dict[str, Any]]:
    rows = await session.execute(
        text(
            f"SELECT {REVIEW_COLUMNS} FROM capture.field_reviews WHERE lead_id = :l"
            " ORDER BY (status = 'pending') DESC, proposed_at DESC LIMIT :n"
        ),
        {"l": lead_id, "n": limit},
    )
    return [dict(r._mapping) for r in rows]


async def decide_field_review(session: AsyncSession, review_id: int, status: str, who: str) -> dict[str, Any] | None:
    """Mark a pending review decided; None when it is not pending (unknown, or already decided)."""
    row = await session.execute(
        text(
            "UPDATE capture.field_reviews SET status = :st, decided_by = :w, decided_at = now()"
            f" WHERE id = :id AND status = 'pending' RETURNING {REVIEW_COLUMNS}"
        ),
        {"id": review_id, "st": status, "w": who},
    )
    found = row.first()
    return dict(found._mapping) if found is not None else None


async def field_review(session: AsyncSession, review_id: int) -> dict[str, Any] | None:
    row = await session.execute(
        text(f"SELECT {REVIEW_COLUMNS} FROM capture.field_reviews WHERE id = :id"), {"id": review_id}
    )
    found = row.first()
    return dict(found._mapping) if found is not None else None


async def known_lead_for_update(session: AsyncSession, lead_id: UUID) -> KnownLead | None:
    row = await session.execute(
        text("SELECT fields, trust FROM capture.leads WHERE id = :id FOR UPDATE"), {"id": lead_id}
    )
    found = row.first()
    return KnownLead(lead_id, dict(found.fields), str(found.trust)) if found is not None else None
