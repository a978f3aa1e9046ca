"""notify's queries (schema `notify` only): one delivery row per (assignment, channel)."""

from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


async def lock_delivery(session: AsyncSession, assignment_id: UUID, channel: str, target: str) -> str:
    """Create the delivery row if absent and lock it until commit; returns its status. The lock keeps
    two notify instances from sending the same alert at the same time."""
    await session.execute(
        text(
            "INSERT INTO notify.deliveries (assignment_id, channel, target, status)"
            " VALUES (:a, :c, :t, 'pending') ON CONFLICT (assignment_id, channel) DO NOTHING"
        ),
        {"a": assignment_id, "c": channel, "t": target},
    )
    result = await session.execute(
        text("SELECT status FROM notify.deliveries WHERE assignment_id = :a AND channel = :c FOR UPDATE"),
        {"a": assignment_id, "c": channel},
    )
    return str(result.scalar_one())


async def mark_sent(session: AsyncSession, assignment_id: UUID, channel: str, external_id: str) -> None:
    await session.execute(
        text(
            "UPDATE notify.deliveries SET status = 'sent', sent_at = now(), attempts = attempts + 1,"
            " external_id = :x, last_error = NULL WHERE assignment_id = :a AND channel = :c"
        ),
        {"a": assignment_id, "c": channel, "x": external_id},
    )


async def mark_failed(session: AsyncSession, assignment_id: UUID, channel: str, target: str, error: str) -> None:
    await session.execute(
        text(
            "INSERT INTO notify.deliveries (assignment_id, channel, target, status, attempts, last_error)"
            " VALUES (:a, :c, :t, 'failed', 1, :e) ON CONFLICT (assignment_id, channel) DO UPDATE"
            " SET status = 'failed', attempts = notify.deliveries.attempts + 1, last_error = :e"
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
