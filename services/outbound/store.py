"""outbound's tables: subscriptions, and one delivery per (subscription, event), which is the log.
An event is enqueued for every subscription that wants its type, enabled or not (a disabled one
gets it once re-enabled); enqueueing it again adds nothing."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True)
class Subscription:
    id: UUID
    kind: str
    url: str
    events: list[str]
    secret: str
    description: str
    enabled: bool
    disabled_reason: str | None
    consecutive_failures: int
    created_at: datetime

    def public(self) -> dict[str, Any]:
        """As the API shows it: never the secret."""
        return {
            "id": str(self.id),
            "kind": self.kind,
            "url": self.url,
            "events": self.events,
            "description": self.description,
            "enabled": self.enabled,
            "disabled_reason": self.disabled_reason,
            "consecutive_failures": self.consecutive_failures,
            "created_at": self.created_at.isoformat(),
        }


@dataclass(frozen=True)
class Delivery:
    id: int
    subscription: Subscription
    event_id: UUID
    event_type: str
    lead_id: UUID
    payload: dict[str, Any]
    attempts: int


_SUB = (
    "s.id, s.kind, s.url, s.events, s.secret, s.description, s.enabled, s.disabled_reason,"
    " s.consecutive_failures, s.created_at"
)


def _sub(r: Any) -> Subscription:
    return Subscription(
        r.id,
        r.kind,
        r.url,
        list(r.events),
        r.secret,
        r.description,
        r.enabled,
        r.disabled_reason,
        r.consecutive_failures,
        r.created_at,
    )


async def create(
    session: AsyncSession, sub_id: UUID, kind: str, url: str, events: list[str], secret: str, about: str
) -> Subscription:
    row = (
        await session.execute(
            text(
                "INSERT INTO outbound.subscriptions AS s (id, kind, url, events, secret, description)"
                " VALUES (:i, :k, :u, :e, :s, :d) ON CONFLICT (id) DO UPDATE SET url = excluded.url,"
                f" events = excluded.events, updated_at = now() RETURNING {_SUB}"
            ),
            {"i": sub_id, "k": kind, "u": url, "e": events, "s": secret, "d": about},
        )
    ).one()
    return _sub(row)


async def listed(session: AsyncSession) -> list[Subscription]:
    rows = await session.execute(text(f"SELECT {_SUB} FROM outbound.subscriptions s ORDER BY s.created_at"))
    return [_sub(r) for r in rows]


async def get(session: AsyncSession, sub_id: UUID) -> Subscription | None:
    row = (
        await session.execute(text(f"SELECT {_SUB} FROM outbound.subscriptions s WHERE s.id = :i"), {"i": sub_id})
    ).one_or_none()
    return _sub(row) if row is not None else None


async def set_enabled(session: AsyncSession, sub_id: UUID, enabled: bool, reason: str | None) -> bool:
    """An operator's switch. Enabling makes every queued delivery due now: waits doubled while the
    subscriber failed (up to `retry_cap_s`) are not the wait of a subscriber just mended."""
    result = await session.execute(
        text(
            "UPDATE outbound.subscriptions SET enabled = :on, disabled_reason = :r, updated_at = now(),"
            " consecutive_failures = CASE WHEN :on THEN 0 ELSE consecutive_failures END WHERE id = :i RETURNING id"
        ),
        {"i": sub_id, "on": enabled, "r": None if enabled else reason},
    )
    found = result.scalar_one_or_none() is not None
    if found and enabled:
        await session.execute(
            text(
                "UPDATE outbound.deliveries SET next_at = now()"
                " WHERE subscription_id = :i AND status = 'queued' AND next_at > now()"
            ),
            {"i": sub_id},
        )
    return found


async def disable(session: AsyncSession, sub_id: UUID, reason: str) -> bool:
    """The sender's switch: True only for the call that turned an enabled subscription off, so
    deliveries failing at once log and count it once."""
    result = await session.execute(
        text(
            "UPDATE outbound.subscriptions SET enabled = false, disabled_reason = :r, updated_at = now()"
            " WHERE id = :i AND enabled RETURNING id"
        ),
        {"i": sub_id, "r": reason},
    )
    return result.scalar_one_or_none() is not None


async def delete(session: AsyncSession, sub_id: UUID) -> bool:
    result = await session.execute(text("DELETE FROM outbound.subscriptions WHERE id = :i RETURNING id"), {"i": sub_id})
    return result.scalar_one_or_none() is not None


async def wanted_types(session: AsyncSession) -> frozenset[str]:
    rows = await session.execute(text("SELECT DISTINCT unnest(events) FROM outbound.subscriptions"))
    return frozenset(str(r[0]) for r in rows)


async def enqueue(session: AsyncSession, events: list[tuple[UUID, UUID, str, dict[str, Any]]]) -> int:
    """(event id, lead id, type, payload) for every subscription wanting the type; new rows only."""
    if not events:
        return 0
    result = await session.execute(
        text(
            "INSERT INTO outbound.deliveries (subscription_id, event_id, event_type, lead_id, payload)"
            " SELECT s.id, e.i, e.t, e.l, CAST(e.p AS jsonb)"
            " FROM unnest(CAST(:i AS uuid[]), CAST(:l AS uuid[]), CAST(:t AS text[]), CAST(:p AS text[]))"
            " AS e(i, l, t, p) JOIN outbound.subscriptions s ON e.t = ANY(s.events)"
            " ON CONFLICT (subscription_id, event_id) DO NOTHING"
        ),
        {
            "i": [e[0] for e in events],
            "l": [e[1] for e in events],
            "t": [e[2] for e in events],
            "p": [orjson.dumps(e[3]).decode() for e in events],
        },
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def lock_due(session: AsyncSession, now: datetime, stale: datetime, limit: int) -> list[Delivery]:
    """Due deliveries of enabled subscriptions (and any left `sending` by a sender that died), marked
    as being sent, oldest first per lead."""
    rows = await session.execute(
        text(
            f"SELECT d.id AS delivery_id, d.event_id, d.event_type, d.lead_id, d.payload, d.attempts, {_SUB}"
            " FROM outbound.deliveries d JOIN outbound.subscriptions s ON s.id = d.subscription_id"
            " WHERE s.enabled AND ((d.status = 'queued' AND d.next_at <= :now)"
            " OR (d.status = 'sending' AND d.sending_at < :stale))"
            " ORDER BY d.next_at, d.id LIMIT :n FOR UPDATE OF d SKIP LOCKED"
        ),
        {"now": now, "stale": stale, "n": limit},
    )
    found = [
        Delivery(r.delivery_id, _sub(r), r.event_id, r.event_type, r.lead_id, r.payload, r.attempts + 1) for r in rows
    ]
    if found:
        await session.execute(
            text(
                "UPDATE outbound.deliveries SET status = 'sending', sending_at = :now, attempts = attempts + 1"
                " WHERE id = ANY(:ids)"
            ),
            {"now": now, "ids": [d.id for d in found]},
        )
    return found


async def record_sent(session: AsyncSession, delivery: Delivery, status: int | None) -> None:
    await session.execute(
        text(
            "UPDATE outbound.deliveries SET status = 'sent', sent_at = now(), sending_at = NULL, last_status = :c,"
            " last_error = NULL WHERE id = :i"
        ),
        {"i": delivery.id, "c": status},
    )
    await session.execute(
        text("UPDATE outbound.subscriptions SET consecutive_failures = 0 WHERE id = :s AND consecutive_failures > 0"),
        {"s": delivery.subscription.id},
    )


async def record_failed(
    session: AsyncSession, delivery: Delivery, status: int | None, error: str, retry_at: datetime | None
) -> int:
    """A failed attempt: retried at `retry_at`, or failed for good (None). The subscription's failures
    in a row, after this one."""
    await session.execute(
        text(
            "UPDATE outbound.deliveries SET status = CASE WHEN CAST(:at AS timestamptz) IS NULL THEN 'failed'"
            " ELSE 'queued' END, next_at = coalesce(CAST(:at AS timestamptz), next_at), sending_at = NULL,"
            " last_status = :c, last_error = :e WHERE id = :i"
        ),
        {"i": delivery.id, "c": status, "e": error[:500], "at": retry_at},
    )
    row = await session.execute(
        text(
            "UPDATE outbound.subscriptions SET consecutive_failures = consecutive_failures + 1 WHERE id = :s"
            " RETURNING consecutive_failures"
        ),
        {"s": delivery.subscription.id},
    )
    return int(row.scalar_one())


async def log(session: AsyncSession, sub_id: UUID, status: str | None, limit: int) -> list[dict[str, Any]]:
    rows = await session.execute(
        text(
            "SELECT id, event_id, event_type, lead_id, status, attempts, next_at, last_status, last_error, sent_at,"
            " created_at FROM outbound.deliveries WHERE subscription_id = :s"
            " AND (CAST(:st AS text) IS NULL OR status = :st) ORDER BY created_at DESC, id DESC LIMIT :n"
        ),
        {"s": sub_id, "st": status, "n": limit},
    )
    return [dict(r._mapping) for r in rows]


async def replay(session: AsyncSession, sub_id: UUID, since: datetime | None, status: str | None) -> int:
    """Send logged deliveries again (same webhook-id, so a receiver that saw one can tell)."""
    result = await session.execute(
        text(
            "UPDATE outbound.deliveries SET status = 'queued', attempts = 0, next_at = now(), sending_at = NULL"
            " WHERE subscription_id = :s AND status <> 'sending'"
            " AND (CAST(:since AS timestamptz) IS NULL OR created_at >= :since)"
            " AND (CAST(:st AS text) IS NULL OR status = :st)"
        ),
        {"s": sub_id, "since": since, "st": status},
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
