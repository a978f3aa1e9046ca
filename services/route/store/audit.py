"""route's audit log (migration 0025): who changed routing state, what and when. Append-only."""

from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


class AuditStore:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def record(self, actor: str, action: str, subject: str, detail: dict[str, Any] | None = None) -> None:
        await self._s.execute(
            text("INSERT INTO route.audit (actor, action, subject, detail) VALUES (:a, :x, :s, CAST(:d AS jsonb))"),
            {"a": actor, "x": action, "s": subject, "d": orjson.dumps(detail or {}).decode()},
        )

    async def recent(self, limit: int) -> list[dict[str, Any]]:
        rows = await self._s.execute(
            text("SELECT at, actor, action, subject, detail FROM route.audit ORDER BY at DESC, id DESC LIMIT :n"),
            {"n": limit},
        )
        return [dict(r._mapping) for r in rows]
