"""route's queries (schema `route` only): reps and pools from the config, turn counters, assignments."""

from typing import Any
from uuid import UUID

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from shared.business_config import BusinessConfig
from shared.payloads import RepContact


async def sync_config(session: AsyncSession, config: BusinessConfig) -> None:
    """Make reps and pools match the config; turn counters and past assignments are kept."""
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtext('route.sync_config'))"))
    for rep in config.reps:
        await session.execute(
            text(
                "INSERT INTO route.reps (id, name, slack, email, phone, timezone, active)"
                " VALUES (:id, :name, :slack, :email, :phone, :tz, :active)"
                " ON CONFLICT (id) DO UPDATE SET name = excluded.name, slack = excluded.slack,"
                " email = excluded.email, phone = excluded.phone, timezone = excluded.timezone,"
                " active = excluded.active"
            ),
            {
                "id": rep.id,
                "name": rep.name,
                "slack": rep.slack,
                "email": rep.email,
                "phone": rep.phone,
                "tz": rep.timezone,
                "active": rep.active,
            },
        )
    await session.execute(
        text("UPDATE route.reps SET active = false WHERE NOT (id = ANY(:ids))"),
        {"ids": [r.id for r in config.reps]},
    )
    for pool in config.pools:
        await session.execute(
            text(
                "INSERT INTO route.pools (id, strategy) VALUES (:id, :strategy)"
                " ON CONFLICT (id) DO UPDATE SET strategy = excluded.strategy"
            ),
            {"id": pool.id, "strategy": pool.strategy},
        )
        await session.execute(text("DELETE FROM route.pool_members WHERE pool_id = :p"), {"p": pool.id})
        for position, rep_id in enumerate(pool.rep_ids, start=1):
            await session.execute(
                text("INSERT INTO route.pool_members (pool_id, rep_id, position) VALUES (:p, :r, :pos)"),
                {"p": pool.id, "r": rep_id, "pos": position},
            )


async def next_turn(session: AsyncSession, pool_id: str) -> int:
    """Atomically take the pool's next turn. The row lock is held until commit, so concurrent route
    instances take distinct turns and see a consistent member list."""
    result = await session.execute(
        text("UPDATE route.pools SET cursor = cursor + 1 WHERE id = :p RETURNING cursor"), {"p": pool_id}
    )
    return int(result.scalar_one())


async def active_members(session: AsyncSession, pool_id: str) -> list[RepContact]:
    result = await session.execute(
        text(
            "SELECT r.id, r.name, r.slack, r.email, r.phone FROM route.pool_members m"
            " JOIN route.reps r ON r.id = m.rep_id WHERE m.pool_id = :p AND r.active ORDER BY m.position"
        ),
        {"p": pool_id},
    )
    return [RepContact(id=r.id, name=r.name, slack=r.slack, email=r.email, phone=r.phone) for r in result]


async def assignment_event(session: AsyncSession, lead_id: UUID, attempt: int) -> dict[str, Any] | None:
    result = await session.execute(
        text("SELECT event FROM route.assignments WHERE lead_id = :l AND attempt = :a"),
        {"l": lead_id, "a": attempt},
    )
    found = result.scalar_one_or_none()
    return dict(found) if found is not None else None


async def insert_assignment(
    session: AsyncSession,
    *,
    assignment_id: UUID,
    lead_id: UUID,
    attempt: int,
    pool_id: str,
    rep_id: str,
    reason: str,
    trace: list[str],
    event: dict[str, Any],
) -> None:
    await session.execute(
        text(
            "INSERT INTO route.assignments (id, lead_id, attempt, pool_id, rep_id, reason, trace, event)"
            " VALUES (:id, :lead, :attempt, :pool, :rep, :reason,"
            " CAST(:trace AS jsonb), CAST(:event AS jsonb))"
        ),
        {
            "id": assignment_id,
            "lead": lead_id,
            "attempt": attempt,
            "pool": pool_id,
            "rep": rep_id,
            "reason": reason,
            "trace": orjson.dumps(trace).decode(),
            "event": orjson.dumps(event).decode(),
        },
    )
