"""notify's queries (schema `notify` only): one delivery row per (assignment, channel)."""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

STATUS_RANK = {
    "accepted": 0,
    "queued": 0,
    "sending": 1,
    "sent": 2,
    "delivered": 3,
    "undelivered": 3,
    "failed": 3,
    "read": 4,
}
BEST_STATUS = (
    "(SELECT status FROM notify.provider_statuses p WHERE p.channel = :c AND p.external_id = :x"
    " ORDER BY rank DESC, received_at DESC LIMIT 1)"
)


@dataclass(frozen=True)
class DeliveryState:
    status: str
    sending_at: datetime | None


async def lock_delivery(session: AsyncSession, assignment_id: UUID, channel: str, target: str) -> DeliveryState:
    """Create the delivery row if absent and lock it until commit; returns its state."""
    await session.execute(
        text(
            "INSERT INTO notify.deliveries (assignment_id, channel, target, status)"
            " VALUES (:a, :c, :t, 'pending') ON CONFLICT (assignment_id, channel) DO NOTHING"
        ),
        {"a": assignment_id, "c": channel, "t": target},
    )
    row = (
        await session.execute(
            text(
                "SELECT status, sending_at FROM notify.deliveries WHERE assignment_id = :a AND channel = :c FOR UPDATE"
            ),
            {"a": assignment_id, "c": channel},
        )
    ).one()
    return DeliveryState(row.status, row.sending_at)


async def mark_sending(session: AsyncSession, assignment_id: UUID, channel: str, at: datetime) -> None:
    """Committed before the send: if the process dies mid-send, the next attempt knows to ask the
    provider whether the message went out instead of sending it blind a second time."""
    await session.execute(
        text(
            "UPDATE notify.deliveries SET status = 'sending', sending_at = :t, attempts = attempts + 1"
            " WHERE assignment_id = :a AND channel = :c"
        ),
        {"a": assignment_id, "c": channel, "t": at},
    )


async def mark_sent(session: AsyncSession, assignment_id: UUID, channel: str, external_id: str) -> None:
    await session.execute(
        text(
            f"UPDATE notify.deliveries SET status = 'sent', sent_at = now(), provider_status = {BEST_STATUS},"
            " external_id = :x, last_error = NULL WHERE assignment_id = :a AND channel = :c"
        ),
        {"a": assignment_id, "c": channel, "x": external_id},
    )


async def mark_failed(session: AsyncSession, assignment_id: UUID, channel: str, target: str, error: str) -> None:
    await session.execute(
        text(
            "INSERT INTO notify.deliveries (assignment_id, channel, target, status, attempts, last_error)"
            " VALUES (:a, :c, :t, 'failed', 1, :e) ON CONFLICT (assignment_id, channel) DO UPDATE"
            " SET status = 'failed', last_error = :e"
            " WHERE notify.deliveries.status <> 'sent'"
        ),
        {"a": assignment_id, "c": channel, "t": target, "e": error[:2000]},
    )


async def record_provider_status(session: AsyncSession, channel: str, external_id: str, status: str) -> bool:
    """Keep every status the provider reports; the delivery shows the furthest one (delivered beats
    sent whatever order they arrive in). True when the delivery is already known."""
    await session.execute(
        text(
            "INSERT INTO notify.provider_statuses (channel, external_id, status, rank) VALUES (:c, :x, :s, :r)"
            " ON CONFLICT DO NOTHING"
        ),
        {"c": channel, "x": external_id, "s": status, "r": STATUS_RANK.get(status, 1)},
    )
    result = await session.execute(
        text(
            f"UPDATE notify.deliveries SET provider_status = {BEST_STATUS}, provider_updated_at = now()"
            " WHERE channel = :c AND external_id = :x RETURNING id"
        ),
        {"c": channel, "x": external_id},
    )
    return result.first() is not None


@dataclass(frozen=True)
class Job:
    assignment_id: UUID
    channel: str
    target: str


async def start_fresh(session: AsyncSession, jobs: list[Job], at: datetime) -> set[tuple[UUID, str]]:
    """Mark `sending` (to be committed before any send) every job that has no delivery row yet; returns
    those. A job with a row already (a redelivery, a retry) is left to the one-at-a-time path."""
    result = await session.execute(
        text(
            "INSERT INTO notify.deliveries (assignment_id, channel, target, status, sending_at, attempts)"
            " SELECT a, c, t, 'sending', :at, 1"
            " FROM unnest(CAST(:a AS uuid[]), CAST(:c AS text[]), CAST(:t AS text[])) AS u(a, c, t)"
            " ON CONFLICT (assignment_id, channel) DO NOTHING RETURNING assignment_id, channel"
        ),
        {"a": [j.assignment_id for j in jobs], "c": [j.channel for j in jobs], "t": [j.target for j in jobs], "at": at},
    )
    return {(UUID(str(r.assignment_id)), str(r.channel)) for r in result}


async def mark_sent_many(session: AsyncSession, sent: list[tuple[Job, str]]) -> None:
    """Record many sends at once: status, provider id, and any provider status that arrived first."""
    await session.execute(
        text(
            "UPDATE notify.deliveries d SET status = 'sent', sent_at = now(), external_id = u.x, last_error = NULL,"
            " provider_status = (SELECT status FROM notify.provider_statuses p WHERE p.channel = u.c"
            " AND p.external_id = u.x ORDER BY rank DESC, received_at DESC LIMIT 1)"
            " FROM unnest(CAST(:a AS uuid[]), CAST(:c AS text[]), CAST(:x AS text[])) AS u(a, c, x)"
            " WHERE d.assignment_id = u.a AND d.channel = u.c"
        ),
        {
            "a": [j.assignment_id for j, _ in sent],
            "c": [j.channel for j, _ in sent],
            "x": [x for _, x in sent],
        },
    )
