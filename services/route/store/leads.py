"""The lead aggregate in route: its advisory lock, its latest routing input (for SLA clocks, replay
and rejections), its nurture record, its recycles, and the claim links used for it."""

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.route.store.json_doc import dumps
from services.route.store.rows import NurtureRecord, Recycled
from shared import raw_sql


class LeadStore:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def lock(self, lead_ids: list[UUID]) -> None:
        """Serialise routing work on these leads (a new score, an SLA timer) until commit; in a fixed
        order, so two instances never deadlock."""
        await raw_sql.execute(
            self._s,
            "SELECT pg_advisory_xact_lock(hashtextextended(l, 7)) FROM unnest(CAST(:l AS text[])) AS l ORDER BY l",
            {"l": sorted(str(i) for i in lead_ids)},
        )

    async def save_inputs(self, inputs: dict[UUID, dict[str, Any]]) -> None:
        """Each lead's latest routing input: one statement for the batch."""
        ids = sorted(inputs)
        await raw_sql.execute(
            self._s,
            "INSERT INTO route.routing_inputs (lead_id, event)"
            " SELECT l, CAST(e AS jsonb) FROM unnest(CAST(:l AS uuid[]), CAST(:e AS text[])) AS u(l, e)"
            " ON CONFLICT (lead_id) DO UPDATE SET event = excluded.event",
            {"l": ids, "e": [dumps(inputs[i]) for i in ids]},
        )

    async def routing_input(self, lead_id: UUID) -> dict[str, Any] | None:
        result = await self._s.execute(
            text("SELECT event FROM route.routing_inputs WHERE lead_id = :l"), {"l": lead_id}
        )
        found = result.scalar_one_or_none()
        return dict(found) if found is not None else None

    async def routing_inputs(self, lead_ids: list[UUID]) -> dict[UUID, dict[str, Any]]:
        rows = await raw_sql.fetch(
            self._s, "SELECT lead_id, event FROM route.routing_inputs WHERE lead_id = ANY(:l)", {"l": lead_ids}
        )
        return {r.lead_id: dict(r.event) for r in rows}

    async def nurtured(self, lead_ids: list[UUID]) -> dict[UUID, NurtureRecord]:
        if not lead_ids:
            return {}
        rows = await raw_sql.fetch(
            self._s,
            "SELECT lead_id, reason, stage, score, cause FROM route.nurtured WHERE lead_id = ANY(:l)",
            {"l": lead_ids},
        )
        return {r.lead_id: NurtureRecord(r.lead_id, r.reason, r.stage, r.score, r.cause) for r in rows}

    async def save_nurtured(self, records: list[NurtureRecord]) -> None:
        """Each lead's nurture record as given (one per lead): one statement for the batch."""
        if not records:
            return
        await raw_sql.execute(
            self._s,
            "INSERT INTO route.nurtured (lead_id, reason, stage, score, cause)"
            " SELECT * FROM unnest(CAST(:l AS uuid[]), CAST(:r AS text[]), CAST(:st AS text[]),"
            " CAST(:sc AS int[]), CAST(:c AS uuid[]))"
            " ON CONFLICT (lead_id) DO UPDATE SET reason = excluded.reason, stage = excluded.stage,"
            " score = excluded.score, cause = excluded.cause, updated_at = now()",
            {
                "l": [n.lead_id for n in records],
                "r": [n.reason for n in records],
                "st": [n.stage for n in records],
                "sc": [n.score for n in records],
                "c": [n.cause for n in records],
            },
        )

    async def nurture_record(self, lead_id: UUID) -> dict[str, Any] | None:
        row = (
            await self._s.execute(
                text("SELECT reason, stage, score, updated_at FROM route.nurtured WHERE lead_id = :l"), {"l": lead_id}
            )
        ).one_or_none()
        return dict(row._mapping) if row is not None else None

    async def recycled(self, lead_ids: list[UUID]) -> dict[UUID, Recycled]:
        """The latest recycle of each lead, with who turned it down as not a fit."""
        if not lead_ids:
            return {}
        rows = await raw_sql.fetch(
            self._s,
            "SELECT DISTINCT ON (r.lead_id) r.lead_id, r.attempt, r.score,"
            " ARRAY(SELECT DISTINCT a.rep_id FROM route.assignments a WHERE a.lead_id = r.lead_id"
            " AND a.rejected_reason = 'not_a_fit' AND a.rep_id IS NOT NULL) AS not_for"
            " FROM route.recycles r WHERE r.lead_id = ANY(:l) ORDER BY r.lead_id, r.attempt DESC",
            {"l": lead_ids},
        )
        return {r.lead_id: Recycled(r.attempt, r.score, frozenset(r.not_for)) for r in rows}

    async def add_recycle(self, lead_id: UUID, attempt: int, reason: str, kind: str, score: int) -> None:
        await self._s.execute(
            text(
                "INSERT INTO route.recycles (lead_id, attempt, reason, kind, score) VALUES (:l, :a, :r, :k, :s)"
                " ON CONFLICT DO NOTHING"
            ),
            {"l": lead_id, "a": attempt, "r": reason, "k": kind, "s": score},
        )

    async def stalled(self, cutoff: datetime, limit: int) -> list[dict[str, Any]]:
        """Claimed leads (their latest assignment) claimed before `cutoff` with no progress since, and
        no final outcome; locked so one route instance recycles each."""
        rows = await self._s.execute(
            text(
                "SELECT a.id, a.lead_id, a.attempt, a.rep_id, a.claimed_at, ri.event FROM route.assignments a"
                " JOIN route.routing_inputs ri ON ri.lead_id = a.lead_id"
                " WHERE a.status = 'claimed' AND a.claimed_at < :cutoff"
                " AND NOT EXISTS (SELECT 1 FROM route.assignments b WHERE b.lead_id = a.lead_id"
                " AND b.attempt > a.attempt)"
                " AND coalesce((ri.event->'data'->>'progress_at')::timestamptz, '-infinity') < :cutoff"
                " AND coalesce(ri.event->'data'->>'outcome', '') NOT IN ('won', 'lost', 'converted')"
                " ORDER BY a.claimed_at LIMIT :n FOR UPDATE OF a SKIP LOCKED"
            ),
            {"cutoff": cutoff, "n": limit},
        )
        return [dict(r._mapping) for r in rows]

    async def use_claim_link(self, token_sha256: str, assignment_id: UUID) -> bool:
        """Mark a claim link used; False when it had been used already (a link works once)."""
        result = await self._s.execute(
            text(
                "INSERT INTO route.used_claim_links (token_sha256, assignment_id) VALUES (:t, :a)"
                " ON CONFLICT DO NOTHING RETURNING token_sha256"
            ),
            {"t": token_sha256, "a": assignment_id},
        )
        return result.scalar_one_or_none() is not None
