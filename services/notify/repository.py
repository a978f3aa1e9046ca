"""notify's queries (schema `notify` only): one delivery row per (assignment, channel)."""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


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
            "UPDATE notify.deliveries SET status = 'sent', sent_at = now(),"
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
    result = await session.execute(
        text(
            "UPDATE notify.deliveries SET provider_status = :s, provider_updated_at = now()"
            " WHERE channel = :c AND external_id = :x RETURNING id"
        ),
        {"s": status, "c": channel, "x": external_id},
    )
    return result.first() is not None
