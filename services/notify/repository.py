"""notify's queries (schema `notify` only): one delivery row per (assignment, channel)."""

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
            f"UPDATE notify.deliveries SET provider_status = {BEST_STATUS}, provider_updated_at = now(),"
            " outcome_at = now(), outcome_published_at = NULL"
            " WHERE channel = :c AND external_id = :x RETURNING id"
        ),
        {"c": channel, "x": external_id},
    )
    return result.first() is not None
