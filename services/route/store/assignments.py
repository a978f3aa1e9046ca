"""The assignment aggregate: every routing attempt of a lead, its SLA clock, claim and rejection."""

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.route.state import ExistingOwner
from services.route.store.json_doc import dumps, loads
from services.route.store.rows import AssignmentRow, ClaimResult, NewAssignment, Rejected
from shared import raw_sql

_ROW = "SELECT id, lead_id, attempt, outcome, status, pool_id, rep_id, event FROM route.assignments"


def _row(r: Any) -> AssignmentRow:
    return AssignmentRow(r.id, r.lead_id, r.attempt, r.outcome, r.status, r.pool_id, r.rep_id, r.event)


class AssignmentStore:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, rows: list[NewAssignment]) -> None:
        if not rows:
            return
        await raw_sql.execute(
            self._s,
            "INSERT INTO route.assignments (id, lead_id, attempt, outcome, status, pool_id, rep_id, rule_id,"
            " reason, trace, sla_due_at, event, created_at, debit)"
            " SELECT id, lead, attempt, outcome, status, pool, rep, rule, reason, CAST(trace AS jsonb), due,"
            " CAST(event AS jsonb), at, debit FROM unnest(CAST(:id AS uuid[]), CAST(:lead AS uuid[]),"
            " CAST(:attempt AS int[]), CAST(:outcome AS text[]), CAST(:status AS text[]),"
            " CAST(:pool AS text[]), CAST(:rep AS text[]), CAST(:rule AS text[]), CAST(:reason AS text[]),"
            " CAST(:trace AS text[]), CAST(:due AS timestamptz[]), CAST(:event AS text[]),"
            " CAST(:at AS timestamptz[]), CAST(:debit AS int[]))"
            " AS u(id, lead, attempt, outcome, status, pool, rep, rule, reason, trace, due, event, at, debit)",
            {
                "id": [r.id for r in rows],
                "lead": [r.lead_id for r in rows],
                "attempt": [r.attempt for r in rows],
                "outcome": [r.outcome for r in rows],
                "status": [r.status for r in rows],
                "pool": [r.pool_id for r in rows],
                "rep": [r.rep_id for r in rows],
                "rule": [r.rule_id for r in rows],
                "reason": [r.reason for r in rows],
                "trace": [dumps(r.trace) for r in rows],
                "due": [r.sla_due_at for r in rows],
                "event": [dumps(r.event) for r in rows],
                "at": [r.decided_at for r in rows],
                "debit": [r.debit for r in rows],
            },
        )

    async def latest(self, lead_ids: list[UUID]) -> dict[UUID, AssignmentRow]:
        """Each lead's latest attempt."""
        rows = await raw_sql.fetch(
            self._s,
            "SELECT DISTINCT ON (lead_id) id, lead_id, attempt, outcome, status, pool_id, rep_id, event"
            " FROM route.assignments WHERE lead_id = ANY(:l) ORDER BY lead_id, attempt DESC",
            {"l": lead_ids},
        )
        return {r.lead_id: _row(r) for r in rows}

    async def reps_who_had(self, lead_id: UUID) -> frozenset[str]:
        rows = await self._s.execute(
            text("SELECT DISTINCT rep_id FROM route.assignments WHERE lead_id = :l AND rep_id IS NOT NULL"),
            {"l": lead_id},
        )
        return frozenset(r.rep_id for r in rows)

    async def assigned_attempts(self, lead_id: UUID) -> int:
        result = await self._s.execute(
            text("SELECT count(*) FROM route.assignments WHERE lead_id = :l AND outcome = 'assigned'"), {"l": lead_id}
        )
        return int(result.scalar_one())

    async def past(self, lead_ids: list[UUID]) -> dict[UUID, tuple[frozenset[str], int]]:
        """Per lead: the reps who had it, and how many times it was assigned (not escalated or held)."""
        rows = await raw_sql.fetch(
            self._s,
            "SELECT lead_id, array_remove(array_agg(DISTINCT rep_id), NULL) AS had,"
            " count(*) FILTER (WHERE outcome = 'assigned') AS assigned"
            " FROM route.assignments WHERE lead_id = ANY(:l) GROUP BY lead_id",
            {"l": lead_ids},
        )
        return {r.lead_id: (frozenset(r.had), int(r.assigned)) for r in rows}

    async def set_statuses(self, statuses: dict[UUID, str]) -> None:
        if not statuses:
            return
        await raw_sql.execute(
            self._s,
            "UPDATE route.assignments a SET status = u.s FROM unnest(CAST(:i AS uuid[]), CAST(:s AS text[]))"
            " AS u(i, s) WHERE a.id = u.i",
            {"i": list(statuses), "s": list(statuses.values())},
        )

    async def postpone_all(self, until: dict[UUID, datetime]) -> None:
        if not until:
            return
        await raw_sql.execute(
            self._s,
            "UPDATE route.assignments a SET sla_due_at = u.t"
            " FROM unnest(CAST(:i AS uuid[]), CAST(:t AS timestamptz[])) AS u(i, t) WHERE a.id = u.i",
            {"i": list(until), "t": list(until.values())},
        )

    async def set_status(self, assignment_id: UUID, status: str) -> None:
        await self._s.execute(
            text("UPDATE route.assignments SET status = :s WHERE id = :id"), {"s": status, "id": assignment_id}
        )

    async def postpone(self, assignment_id: UUID, until: datetime) -> None:
        await self._s.execute(
            text("UPDATE route.assignments SET sla_due_at = :t WHERE id = :id"), {"t": until, "id": assignment_id}
        )

    async def lock_due(self, now: datetime, limit: int) -> list[AssignmentRow]:
        """SLA clocks (and held leads) whose time has come; SKIP LOCKED shares them among instances."""
        rows = await raw_sql.fetch(
            self._s,
            f"{_ROW} WHERE status IN ('pending', 'held') AND sla_due_at IS NOT NULL AND sla_due_at <= :now"
            " ORDER BY sla_due_at LIMIT :n FOR UPDATE SKIP LOCKED",
            {"now": now, "n": limit},
        )
        return [_row(r) for r in rows]

    async def open_owners(self, leads: list[tuple[UUID, str | None, str | None]]) -> dict[UUID, ExistingOwner]:
        """For each (lead, email, phone): another lead of the same person (same normalised email, else
        the same phone) that is assigned and not yet done with, and its rep; the latest such one.
        Email and phone are looked up apart, each by its expression index: one join on "email or
        phone" cannot use either index, and scanned every routing input for every lead (1.8 s a
        batch at saturation in the 22:04 bench, profiles/statements-leadrelay.txt)."""
        if not leads:
            return {}
        rows = await raw_sql.fetch(
            self._s,
            "SELECT DISTINCT ON (u.lead) u.lead, a.rep_id, m.lead_id AS other, m.via"
            " FROM unnest(CAST(:l AS uuid[]), CAST(:e AS text[]), CAST(:p AS text[])) AS u(lead, email, phone)"
            " CROSS JOIN LATERAL ("
            " SELECT ri.lead_id, 'email' AS via FROM route.routing_inputs ri"
            " WHERE u.email IS NOT NULL AND ri.event->'data'->'lead'->>'email' = u.email AND ri.lead_id <> u.lead"
            " UNION ALL SELECT ri.lead_id, 'phone' FROM route.routing_inputs ri"
            " WHERE u.phone IS NOT NULL AND ri.event->'data'->'lead'->>'phone_e164' = u.phone"
            " AND ri.lead_id <> u.lead) AS m"
            " JOIN route.assignments a ON a.lead_id = m.lead_id AND a.status IN ('pending', 'claimed')"
            " AND a.rep_id IS NOT NULL"
            " ORDER BY u.lead, a.created_at DESC, m.via",
            {"l": [lead for lead, _, _ in leads], "e": [e for _, e, _ in leads], "p": [p for _, _, p in leads]},
        )
        return {r.lead: ExistingOwner(r.rep_id, str(r.other), r.via) for r in rows}

    async def claim(self, assignment_id: UUID, rep_id: str, managed_pools: list[str]) -> ClaimResult:
        """First claim wins: an atomic update from pending to claimed, by the assigned rep or the
        manager of the assignment's pool (`managed_pools`: the pools `rep_id` manages)."""
        row = (
            await self._s.execute(
                text(
                    "UPDATE route.assignments SET status = 'claimed', claimed_at = now(), claimed_by = :rep"
                    " WHERE id = :id AND status = 'pending' AND (rep_id = :rep OR pool_id = ANY(:pools))"
                    " RETURNING status, rep_id, claimed_by, claimed_at, lead_id, event"
                ),
                {"id": assignment_id, "rep": rep_id, "pools": managed_pools},
            )
        ).one_or_none()
        if row is not None:
            return ClaimResult(
                True, True, row.status, row.rep_id, row.claimed_by, row.claimed_at, row.lead_id, row.event
            )
        row = (
            await self._s.execute(
                text("SELECT status, rep_id, claimed_by, claimed_at, lead_id FROM route.assignments WHERE id = :id"),
                {"id": assignment_id},
            )
        ).one_or_none()
        if row is None:
            return ClaimResult(False, False)
        return ClaimResult(True, False, row.status, row.rep_id, row.claimed_by, row.claimed_at, row.lead_id)

    async def reject(self, assignment_id: UUID, rep_id: str, reason: str) -> Rejected | None:
        """The assigned rep turns a pending assignment down (atomic, like a claim); None when it is not
        theirs or no longer pending."""
        row = (
            await self._s.execute(
                text(
                    "UPDATE route.assignments SET status = 'rejected', rejected_reason = :why, rejected_at = now()"
                    " WHERE id = :id AND status = 'pending' AND rep_id = :rep"
                    " RETURNING lead_id, pool_id, rule_id, debit, event"
                ),
                {"id": assignment_id, "rep": rep_id, "why": reason},
            )
        ).one_or_none()
        if row is None:
            return None
        return Rejected(row.lead_id, row.pool_id, row.rule_id, int(row.debit), loads(row.event))

    async def history(self, lead_id: UUID) -> list[dict[str, Any]]:
        rows = await self._s.execute(
            text(
                "SELECT id, attempt, outcome, status, pool_id, rep_id, rule_id, reason, trace, sla_due_at,"
                " claimed_at, claimed_by, created_at,"
                " CAST(event->'data'->>'config_version' AS bigint) AS config_version"
                " FROM route.assignments WHERE lead_id = :l ORDER BY attempt"
            ),
            {"l": lead_id},
        )
        return [dict(r._mapping) for r in rows]

    async def first_owners(self, lead_ids: list[UUID]) -> dict[UUID, str | None]:
        rows = await self._s.execute(
            text(
                "SELECT DISTINCT ON (lead_id) lead_id, rep_id FROM route.assignments WHERE lead_id = ANY(:l)"
                " ORDER BY lead_id, attempt"
            ),
            {"l": lead_ids},
        )
        return {r.lead_id: r.rep_id for r in rows}

    async def held_count(self) -> int:
        """Leads held because nobody could take them; routing retries them."""
        result = await self._s.execute(text("SELECT count(*) FROM route.assignments WHERE status = 'held'"))
        return int(result.scalar_one())

    async def rejection_counts(self) -> list[dict[str, Any]]:
        """Rejections by rep, reason, rule and source."""
        rows = await self._s.execute(
            text(
                "SELECT rep_id, rejected_reason AS reason, coalesce(rule_id, 'default') AS rule_id,"
                " event->'data'->'lead'->>'source' AS source, count(*) AS n FROM route.assignments"
                " WHERE rejected_reason IS NOT NULL GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"
            )
        )
        return [{**dict(r._mapping), "n": int(r.n)} for r in rows]

    async def open_of(self, rep_id: str, limit: int) -> list[dict[str, Any]]:
        """The rep's open leads, newest first: what they hold now and each SLA clock."""
        rows = await self._s.execute(
            text(
                "SELECT id AS assignment_id, lead_id, status, pool_id, sla_due_at, created_at AS assigned_at,"
                " event->'data'->'lead' AS lead FROM route.assignments"
                " WHERE rep_id = :r AND status IN ('pending', 'claimed') ORDER BY created_at DESC LIMIT :n"
            ),
            {"r": rep_id, "n": limit},
        )
        return [dict(r._mapping) for r in rows]
