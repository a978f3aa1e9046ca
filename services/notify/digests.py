"""Escalation digests in PostgreSQL (schema `notify`). Each escalation to one person on one channel
is counted in that window's digest row; the first `threshold` are sent one by one, the rest are
shown by the digest message. The digest row is locked while an escalation is counted, so two
notify instances agree on which escalations went one by one. A redelivered escalation is counted
once (the item's key is the assignment and channel)."""

import math
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from shared.payloads import Assignment


@dataclass(frozen=True)
class Escalation:
    assignment: Assignment
    channel: str
    target: str


@dataclass(frozen=True)
class Shown:
    """One escalation as the digest shows it."""

    assignment: Assignment
    escalated_at: datetime


@dataclass(frozen=True)
class Digest:
    id: int
    rep_id: str
    channel: str
    target: str
    window_start: datetime
    window_end: datetime
    message_channel: str | None
    message_id: str | None
    in_doubt: bool
    """An earlier send of this digest was cut short: ask the provider before posting it again."""


@dataclass(frozen=True)
class Contents:
    digest: Digest
    waiting: int
    claimed: int
    oldest: list[Shown]
    highest: list[Shown]


def window_of(now: datetime, seconds: float) -> tuple[datetime, datetime]:
    start = math.floor(now.timestamp() / seconds) * seconds
    return datetime.fromtimestamp(start, UTC), datetime.fromtimestamp(start + seconds, UTC)


def _digest(row: object) -> Digest:
    r = row._mapping  # type: ignore[attr-defined]
    return Digest(
        r["id"],
        r["rep_id"],
        r["channel"],
        r["target"],
        r["window_start"],
        r["window_end"],
        r["message_channel"],
        r["message_id"],
        r["in_doubt"],
    )


COLUMNS = "id, rep_id, channel, target, window_start, window_end, message_channel, message_id"


async def lock_due(session: AsyncSession, now: datetime, stale: datetime, limit: int) -> list[Digest]:
    """Digests due to be sent or updated, plus any whose sender stopped mid-send; each is marked as
    being sent (committed before the provider is called)."""
    rows = (
        await session.execute(
            text(
                f"SELECT {COLUMNS}, sending_at IS NOT NULL AS in_doubt FROM notify.digests"
                " WHERE (dirty AND due_at <= :now AND sending_at IS NULL) OR sending_at < :stale"
                " ORDER BY due_at LIMIT :n FOR UPDATE SKIP LOCKED"
            ),
            {"now": now, "stale": stale, "n": limit},
        )
    ).all()
    found = [_digest(r) for r in rows]
    if found:
        await session.execute(
            text("UPDATE notify.digests SET dirty = false, sending_at = :now WHERE id = ANY(:ids)"),
            {"now": now, "ids": [d.id for d in found]},
        )
    return found


def _shown(rows: object) -> list[Shown]:
    return [Shown(Assignment.model_validate(r.assignment), r.escalated_at) for r in rows]  # type: ignore[attr-defined]


async def contents(session: AsyncSession, digest: Digest, show: int) -> Contents:
    counts = (
        await session.execute(
            text(
                "SELECT count(*) FILTER (WHERE claimed_at IS NULL) AS waiting,"
                " count(*) FILTER (WHERE claimed_at IS NOT NULL) AS claimed"
                " FROM notify.digest_items WHERE digest_id = :d AND NOT individual"
            ),
            {"d": digest.id},
        )
    ).one()
    pick = (
        "SELECT assignment, escalated_at FROM notify.digest_items"
        " WHERE digest_id = :d AND NOT individual AND claimed_at IS NULL ORDER BY {} LIMIT :n"
    )
    oldest = await session.execute(text(pick.format("escalated_at, assignment_id")), {"d": digest.id, "n": show})
    highest = await session.execute(
        text(pick.format("score DESC, escalated_at, assignment_id")), {"d": digest.id, "n": show}
    )
    return Contents(digest, counts.waiting, counts.claimed, _shown(oldest), _shown(highest))


@dataclass(frozen=True)
class Listed:
    assignment: Assignment
    escalated_at: datetime
    claimed_by: str | None


async def every_item(session: AsyncSession, digest_id: int) -> tuple[Digest, list[Listed]] | None:
    """The whole digest for its page: waiting ones first, oldest first."""
    row = (
        await session.execute(
            text(f"SELECT {COLUMNS}, false AS in_doubt FROM notify.digests WHERE id = :d"), {"d": digest_id}
        )
    ).one_or_none()
    if row is None:
        return None
    items = await session.execute(
        text(
            "SELECT assignment, escalated_at, claimed_by FROM notify.digest_items"
            " WHERE digest_id = :d AND NOT individual ORDER BY claimed_at IS NOT NULL, escalated_at, assignment_id"
        ),
        {"d": digest_id},
    )
    listed = [Listed(Assignment.model_validate(r.assignment), r.escalated_at, r.claimed_by) for r in items]
    return _digest(row), listed


async def record_sent(session: AsyncSession, digest_id: int, message_channel: str, message_id: str) -> None:
    await session.execute(
        text(
            "UPDATE notify.digests SET message_channel = :mc, message_id = :m, sent_at = now(), sending_at = NULL,"
            " sends = sends + 1, failures = 0, last_error = NULL WHERE id = :d"
        ),
        {"d": digest_id, "mc": message_channel, "m": message_id},
    )


GIVE_UP_AFTER = 10
"""Failed sends in a row after which a digest stops being retried (its leads stay claimable)."""


async def record_failed(session: AsyncSession, digest_id: int, retry_at: datetime, error: str) -> bool:
    """A failed send, retried at `retry_at` unless it failed GIVE_UP_AFTER times in a row: False then."""
    failures = (
        await session.execute(
            text(
                "UPDATE notify.digests SET failures = failures + 1, dirty = failures + 1 < :n, due_at = :at,"
                " sending_at = NULL, last_error = :e WHERE id = :d RETURNING failures"
            ),
            {"d": digest_id, "at": retry_at, "e": error[:500], "n": GIVE_UP_AFTER},
        )
    ).scalar_one()
    return int(failures) < GIVE_UP_AFTER
