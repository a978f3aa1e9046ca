"""route's queries (schema `route` only): reps and pools from the config, fairness credits, loads,
assignments with their SLA clocks, nurture decisions and the recorded routing inputs."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.route.availability import PERIODS, RepLoad, period_starts
from services.route.state import ExistingOwner, PoolState, Snapshot, StateChange
from services.route.strategies import needs
from shared.business.loader import BusinessConfig


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


def _doc(value: Any) -> Any:
    return orjson.loads(value) if isinstance(value, str | bytes) else value


async def sync_config(session: AsyncSession, config: BusinessConfig) -> None:
    """Make reps and pools match the config; credits, pauses and past assignments are kept."""
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
        text("UPDATE route.reps SET active = false WHERE NOT (id = ANY(:ids))"), {"ids": [r.id for r in config.reps]}
    )
    for pool in config.pools:
        await session.execute(
            text(
                "INSERT INTO route.pools (id, strategy) VALUES (:id, :strategy)"
                " ON CONFLICT (id) DO UPDATE SET strategy = excluded.strategy"
            ),
            {"id": pool.id, "strategy": pool.strategy},
        )
        await session.execute(
            text("DELETE FROM route.pool_members WHERE pool_id = :p AND NOT (rep_id = ANY(:reps))"),
            {"p": pool.id, "reps": pool.rep_ids},
        )
        for position, member in enumerate(pool.members, start=1):
            await session.execute(
                text(
                    "INSERT INTO route.pool_members (pool_id, rep_id, position, weight) VALUES (:p, :r, :pos, :w)"
                    " ON CONFLICT (pool_id, rep_id) DO UPDATE SET position = excluded.position,"
                    " weight = excluded.weight"
                ),
                {"p": pool.id, "r": member.rep, "pos": position, "w": member.weight},
            )


async def lock_lead(session: AsyncSession, lead_id: UUID) -> None:
    """Serialise routing work on one lead (a new score, an SLA timer) until commit."""
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:l, 7))"), {"l": str(lead_id)})


async def load_snapshot(
    session: AsyncSession,
    config: BusinessConfig,
    pool_ids: Iterable[str],
    now: datetime,
    domains: Iterable[str],
    *,
    lock: bool,
    extra_reps: Iterable[str] = (),
) -> Snapshot:
    """The state a decision needs, for the pools in play and only the reps they can reach.

    With `lock`, the pools' rows are locked (in id order, so two instances never deadlock): until
    commit no other instance decides for these pools, so credits, caps and loads stay consistent."""
    pool_ids = sorted(pool_ids)
    pools = [config.pool(p) for p in pool_ids]
    configured = {a.domain: a.owner for a in config.accounts}
    owners = dict(configured)
    unknown = sorted({d for d in domains if d not in configured})
    wanted = needs([p.strategy for p in pools])
    if unknown and "account_owners" in wanted:
        found = await session.execute(
            text("SELECT domain, rep_id FROM route.account_owners WHERE domain = ANY(:d)"), {"d": unknown}
        )
        owners.update({r.domain: r.rep_id for r in found})
    rep_ids = sorted(
        {r for p in pools for r in p.rep_ids}
        | {p.manager for p in pools if p.manager}
        | set(owners.values())
        | (set(extra_reps) & config.rep_ids)
    )
    credits = await _credits(session, pool_ids, lock=lock)
    paused = {
        row.rep_id
        for row in await session.execute(
            text("SELECT rep_id FROM route.rep_status WHERE paused AND rep_id = ANY(:r)"), {"r": rep_ids}
        )
    }
    open_leads: dict[str, int] = {}
    if "open_leads" in wanted:
        open_leads = {
            row.rep_id: int(row.n)
            for row in await session.execute(
                text(
                    "SELECT rep_id, count(*) AS n FROM route.assignments WHERE status IN ('pending', 'claimed')"
                    " AND rep_id = ANY(:r) GROUP BY rep_id"
                ),
                {"r": rep_ids},
            )
        }
    counts = await period_counts(session, config, rep_ids, now)
    loads = {
        r: RepLoad(paused=r in paused, open_leads=open_leads.get(r, 0), assigned=counts.get(r, ())) for r in rep_ids
    }
    return Snapshot(loads, {p: PoolState(credits[p]) for p in pool_ids}, owners)


async def _credits(session: AsyncSession, pool_ids: list[str], *, lock: bool) -> dict[str, dict[str, int]]:
    """Each pool's member credits (every pool has members: the config requires one). Locking, the
    statement locks the member rows as well as the pools: once it has waited for another decision,
    PostgreSQL re-reads only the rows it locks, so credits read through an unlocked join would be
    the ones from before that decision, and round robin would drift."""
    credits: dict[str, dict[str, int]] = {p: {} for p in pool_ids}
    read = (
        "SELECT m.pool_id, m.rep_id, m.credit FROM route.pools p JOIN route.pool_members m ON m.pool_id = p.id"
        " WHERE p.id = ANY(:p) ORDER BY p.id, m.rep_id" + (" FOR UPDATE OF p, m" if lock else "")
    )
    for row in await session.execute(text(read), {"p": pool_ids}):
        credits[row.pool_id][row.rep_id] = int(row.credit)
    return credits


async def period_counts(
    session: AsyncSession, config: BusinessConfig, rep_ids: list[str], now: datetime, *, only_capped: bool = True
) -> dict[str, tuple[tuple[str, int], ...]]:
    """Assignments per rep since the start of their own day, week and month (each in their time zone);
    by default only for reps with a cap, the only ones a decision needs."""
    capped = [r for r in rep_ids if not only_capped or any(getattr(config.rep(r).caps, p) is not None for p in PERIODS)]
    if not capped:
        return {}
    starts = {r: period_starts(now, config.rep(r).timezone) for r in capped}
    rows = await session.execute(
        text(
            "SELECT a.rep_id,"
            " count(*) FILTER (WHERE a.created_at >= s.day_start) AS day,"
            " count(*) FILTER (WHERE a.created_at >= s.week_start) AS week,"
            " count(*) FILTER (WHERE a.created_at >= s.month_start) AS month"
            " FROM route.assignments a"
            " JOIN unnest(CAST(:reps AS text[]), CAST(:days AS timestamptz[]), CAST(:weeks AS timestamptz[]),"
            "             CAST(:months AS timestamptz[])) AS s(rep_id, day_start, week_start, month_start)"
            " ON s.rep_id = a.rep_id"
            " WHERE a.outcome = 'assigned' AND a.created_at >= least(s.week_start, s.month_start)"
            " GROUP BY a.rep_id"
        ),
        {
            "reps": capped,
            "days": [starts[r]["day"] for r in capped],
            "weeks": [starts[r]["week"] for r in capped],
            "months": [starts[r]["month"] for r in capped],
        },
    )
    return {row.rep_id: (("day", row.day), ("week", row.week), ("month", row.month)) for row in rows}


async def apply_change(session: AsyncSession, change: StateChange) -> None:
    if change.pool_id is not None and change.credited:
        await session.execute(
            text(
                "UPDATE route.pool_members m"
                " SET credit = m.credit + c.weight - CASE WHEN m.rep_id = :winner THEN :debit ELSE 0 END"
                " FROM unnest(CAST(:reps AS text[]), CAST(:weights AS int[])) AS c(rep_id, weight)"
                " WHERE m.pool_id = :p AND m.rep_id = c.rep_id"
            ),
            {
                "p": change.pool_id,
                "winner": change.rep_id,
                "debit": change.debit,
                "reps": [r for r, _ in change.credited],
                "weights": [w for _, w in change.credited],
            },
        )
    if change.claim_account is not None and change.rep_id is not None:
        await session.execute(
            text("INSERT INTO route.account_owners (domain, rep_id) VALUES (:d, :r) ON CONFLICT DO NOTHING"),
            {"d": change.claim_account, "r": change.rep_id},
        )


@dataclass(frozen=True)
class AssignmentRow:
    id: UUID
    lead_id: UUID
    attempt: int
    outcome: str
    status: str
    pool_id: str
    rep_id: str | None
    event: dict[str, Any]


_ROW = "SELECT id, lead_id, attempt, outcome, status, pool_id, rep_id, event FROM route.assignments"


def _row(r: Any) -> AssignmentRow:
    return AssignmentRow(r.id, r.lead_id, r.attempt, r.outcome, r.status, r.pool_id, r.rep_id, r.event)


async def latest_assignment(session: AsyncSession, lead_id: UUID) -> AssignmentRow | None:
    row = (
        await session.execute(text(f"{_ROW} WHERE lead_id = :l ORDER BY attempt DESC LIMIT 1"), {"l": lead_id})
    ).one_or_none()
    return _row(row) if row is not None else None


async def reps_who_had(session: AsyncSession, lead_id: UUID) -> frozenset[str]:
    rows = await session.execute(
        text("SELECT DISTINCT rep_id FROM route.assignments WHERE lead_id = :l AND rep_id IS NOT NULL"),
        {"l": lead_id},
    )
    return frozenset(r.rep_id for r in rows)


async def assigned_attempts(session: AsyncSession, lead_id: UUID) -> int:
    result = await session.execute(
        text("SELECT count(*) FROM route.assignments WHERE lead_id = :l AND outcome = 'assigned'"), {"l": lead_id}
    )
    return int(result.scalar_one())


@dataclass(frozen=True)
class NewAssignment:
    """`decided_at` is the routing clock, so caps count against the same clock that checks them."""

    id: UUID
    lead_id: UUID
    attempt: int
    outcome: str
    status: str
    pool_id: str
    rep_id: str | None
    rule_id: str | None
    reason: str
    trace: list[str]
    sla_due_at: datetime | None
    event: dict[str, Any]
    decided_at: datetime
    debit: int = 0
    """The round-robin credit the rep paid for this pick (given back on a "not mine")."""


async def insert_assignments(session: AsyncSession, rows: list[NewAssignment]) -> None:
    if not rows:
        return
    await session.execute(
        text(
            "INSERT INTO route.assignments (id, lead_id, attempt, outcome, status, pool_id, rep_id, rule_id,"
            " reason, trace, sla_due_at, event, created_at, debit)"
            " SELECT id, lead, attempt, outcome, status, pool, rep, rule, reason, CAST(trace AS jsonb), due,"
            " CAST(event AS jsonb), at, debit FROM unnest(CAST(:id AS uuid[]), CAST(:lead AS uuid[]),"
            " CAST(:attempt AS int[]), CAST(:outcome AS text[]), CAST(:status AS text[]), CAST(:pool AS text[]),"
            " CAST(:rep AS text[]), CAST(:rule AS text[]), CAST(:reason AS text[]), CAST(:trace AS text[]),"
            " CAST(:due AS timestamptz[]), CAST(:event AS text[]), CAST(:at AS timestamptz[]), CAST(:debit AS int[]))"
            " AS u(id, lead, attempt, outcome, status, pool, rep, rule, reason, trace, due, event, at, debit)"
        ),
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
            "trace": [_json(r.trace) for r in rows],
            "due": [r.sla_due_at for r in rows],
            "event": [_json(r.event) for r in rows],
            "at": [r.decided_at for r in rows],
            "debit": [r.debit for r in rows],
        },
    )


async def lock_leads(session: AsyncSession, lead_ids: list[UUID]) -> None:
    """`lock_lead` for several leads in one statement, in a fixed order (no deadlock between instances)."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(l, 7)) FROM unnest(CAST(:l AS text[])) AS l ORDER BY l"),
        {"l": sorted(str(i) for i in lead_ids)},
    )


async def save_inputs(session: AsyncSession, inputs: dict[UUID, dict[str, Any]]) -> None:
    """Each lead's latest routing input (for replay): one statement for the batch."""
    ids = sorted(inputs)
    await session.execute(
        text(
            "INSERT INTO route.routing_inputs (lead_id, event)"
            " SELECT l, CAST(e AS jsonb) FROM unnest(CAST(:l AS uuid[]), CAST(:e AS text[])) AS u(l, e)"
            " ON CONFLICT (lead_id) DO UPDATE SET event = excluded.event"
        ),
        {"l": ids, "e": [_json(inputs[i]) for i in ids]},
    )


async def latest_assignments(session: AsyncSession, lead_ids: list[UUID]) -> dict[UUID, AssignmentRow]:
    rows = await session.execute(
        text(
            "SELECT DISTINCT ON (lead_id) id, lead_id, attempt, outcome, status, pool_id, rep_id, event"
            " FROM route.assignments WHERE lead_id = ANY(:l) ORDER BY lead_id, attempt DESC"
        ),
        {"l": lead_ids},
    )
    return {r.lead_id: _row(r) for r in rows}


async def save_fairness(session: AsyncSession, before: Snapshot, after: Snapshot) -> None:
    """The credits and account owners a batch of decisions changed (the pools are locked meanwhile)."""
    changed = [
        (pool_id, rep_id, credit)
        for pool_id, state in after.pools.items()
        for rep_id, credit in state.credits.items()
        if before.pool(pool_id).credits.get(rep_id) != credit
    ]
    if changed:
        await session.execute(
            text(
                "UPDATE route.pool_members m SET credit = u.c FROM unnest(CAST(:p AS text[]), CAST(:r AS text[]),"
                " CAST(:c AS int[])) AS u(p, r, c) WHERE m.pool_id = u.p AND m.rep_id = u.r"
            ),
            {"p": [p for p, _, _ in changed], "r": [r for _, r, _ in changed], "c": [c for _, _, c in changed]},
        )
    claimed = sorted((d, r) for d, r in after.account_owners.items() if before.account_owners.get(d) != r)
    if claimed:
        await session.execute(
            text(
                "INSERT INTO route.account_owners (domain, rep_id) SELECT d, r"
                " FROM unnest(CAST(:d AS text[]), CAST(:r AS text[])) AS u(d, r) ON CONFLICT DO NOTHING"
            ),
            {"d": [d for d, _ in claimed], "r": [r for _, r in claimed]},
        )


async def set_status(session: AsyncSession, assignment_id: UUID, status: str) -> None:
    await session.execute(
        text("UPDATE route.assignments SET status = :s WHERE id = :id"), {"s": status, "id": assignment_id}
    )


async def lock_due(session: AsyncSession, now: datetime, limit: int) -> list[AssignmentRow]:
    """SLA clocks (and held leads) whose time has come; SKIP LOCKED shares them among instances."""
    rows = await session.execute(
        text(
            f"{_ROW} WHERE status IN ('pending', 'held') AND sla_due_at IS NOT NULL AND sla_due_at <= :now"
            " ORDER BY sla_due_at LIMIT :n FOR UPDATE SKIP LOCKED"
        ),
        {"now": now, "n": limit},
    )
    return [_row(r) for r in rows]


async def save_input(session: AsyncSession, lead_id: UUID, event: dict[str, Any]) -> None:
    await session.execute(
        text(
            "INSERT INTO route.routing_inputs (lead_id, event) VALUES (:l, CAST(:e AS jsonb))"
            " ON CONFLICT (lead_id) DO UPDATE SET event = excluded.event"
        ),
        {"l": lead_id, "e": _json(event)},
    )


async def routing_input(session: AsyncSession, lead_id: UUID) -> dict[str, Any] | None:
    result = await session.execute(text("SELECT event FROM route.routing_inputs WHERE lead_id = :l"), {"l": lead_id})
    found = result.scalar_one_or_none()
    return dict(found) if found is not None else None


async def upsert_nurture(
    session: AsyncSession, lead_id: UUID, reason: str, stage: str | None, score: int, cause: UUID
) -> bool:
    """Record a nurture decision. True when it is news (a new stage or score) or when `cause` is the
    input that recorded it (a redelivery: its event is emitted again); False otherwise."""
    result = await session.execute(
        text(
            "INSERT INTO route.nurtured (lead_id, reason, stage, score, cause) VALUES (:l, :r, :st, :sc, :c)"
            " ON CONFLICT (lead_id) DO UPDATE SET reason = excluded.reason, stage = excluded.stage,"
            " score = excluded.score, cause = excluded.cause, updated_at = now()"
            " WHERE route.nurtured.stage IS DISTINCT FROM excluded.stage OR route.nurtured.score <> excluded.score"
            " RETURNING lead_id"
        ),
        {"l": lead_id, "r": reason, "st": stage, "sc": score, "c": cause},
    )
    if result.scalar_one_or_none() is not None:
        return True
    stored = await session.execute(text("SELECT cause FROM route.nurtured WHERE lead_id = :l"), {"l": lead_id})
    return bool(stored.scalar_one_or_none() == cause)


async def set_paused(session: AsyncSession, rep_id: str, paused: bool) -> None:
    await session.execute(
        text(
            "INSERT INTO route.rep_status (rep_id, paused) VALUES (:r, :p)"
            " ON CONFLICT (rep_id) DO UPDATE SET paused = excluded.paused, updated_at = now()"
        ),
        {"r": rep_id, "p": paused},
    )


@dataclass(frozen=True)
class ClaimResult:
    found: bool
    claimed_now: bool
    status: str | None = None
    rep_id: str | None = None
    claimed_by: str | None = None
    claimed_at: datetime | None = None
    lead_id: UUID | None = None
    event: dict[str, Any] | None = None


async def claim(session: AsyncSession, assignment_id: UUID, rep_id: str, managed_pools: list[str]) -> ClaimResult:
    """First claim wins: an atomic update from pending to claimed, by the assigned rep or the manager
    of the assignment's pool (`managed_pools`: the pools `rep_id` manages)."""
    row = (
        await session.execute(
            text(
                "UPDATE route.assignments SET status = 'claimed', claimed_at = now(), claimed_by = :rep"
                " WHERE id = :id AND status = 'pending' AND (rep_id = :rep OR pool_id = ANY(:pools))"
                " RETURNING status, rep_id, claimed_by, claimed_at, lead_id, event"
            ),
            {"id": assignment_id, "rep": rep_id, "pools": managed_pools},
        )
    ).one_or_none()
    if row is not None:
        return ClaimResult(True, True, row.status, row.rep_id, row.claimed_by, row.claimed_at, row.lead_id, row.event)
    row = (
        await session.execute(
            text("SELECT status, rep_id, claimed_by, claimed_at, lead_id FROM route.assignments WHERE id = :id"),
            {"id": assignment_id},
        )
    ).one_or_none()
    if row is None:
        return ClaimResult(False, False)
    return ClaimResult(True, False, row.status, row.rep_id, row.claimed_by, row.claimed_at, row.lead_id)


async def history(session: AsyncSession, lead_id: UUID) -> list[dict[str, Any]]:
    rows = await session.execute(
        text(
            "SELECT id, attempt, outcome, status, pool_id, rep_id, rule_id, reason, trace, sla_due_at, claimed_at,"
            " claimed_by, created_at FROM route.assignments WHERE lead_id = :l ORDER BY attempt"
        ),
        {"l": lead_id},
    )
    return [dict(r._mapping) for r in rows]


async def nurture_record(session: AsyncSession, lead_id: UUID) -> dict[str, Any] | None:
    row = (
        await session.execute(
            text("SELECT reason, stage, score, updated_at FROM route.nurtured WHERE lead_id = :l"), {"l": lead_id}
        )
    ).one_or_none()
    return dict(row._mapping) if row is not None else None


async def inputs_since(session: AsyncSession, since: datetime) -> list[tuple[dict[str, Any], datetime]]:
    rows = await session.execute(
        text("SELECT event, received_at FROM route.routing_inputs WHERE received_at >= :s ORDER BY received_at"),
        {"s": since},
    )
    return [(dict(r.event), r.received_at) for r in rows]


async def first_owners(session: AsyncSession, lead_ids: list[UUID]) -> dict[UUID, str | None]:
    rows = await session.execute(
        text(
            "SELECT DISTINCT ON (lead_id) lead_id, rep_id FROM route.assignments WHERE lead_id = ANY(:l)"
            " ORDER BY lead_id, attempt"
        ),
        {"l": lead_ids},
    )
    return {r.lead_id: r.rep_id for r in rows}


async def postpone(session: AsyncSession, assignment_id: UUID, until: datetime) -> None:
    await session.execute(
        text("UPDATE route.assignments SET sla_due_at = :t WHERE id = :id"), {"t": until, "id": assignment_id}
    )


async def use_claim_link(session: AsyncSession, token_sha256: str, assignment_id: UUID) -> bool:
    """Mark a claim link used; False when it had been used already (a link works once)."""
    result = await session.execute(
        text(
            "INSERT INTO route.used_claim_links (token_sha256, assignment_id) VALUES (:t, :a)"
            " ON CONFLICT DO NOTHING RETURNING token_sha256"
        ),
        {"t": token_sha256, "a": assignment_id},
    )
    return result.scalar_one_or_none() is not None


async def held_count(session: AsyncSession) -> int:
    """Leads held because nobody could take them; routing retries them."""
    return int(
        (await session.execute(text("SELECT count(*) FROM route.assignments WHERE status = 'held'"))).scalar_one()
    )


@dataclass(frozen=True)
class Rejected:
    lead_id: UUID
    pool_id: str
    rule_id: str | None
    debit: int
    event: dict[str, Any]


async def reject(session: AsyncSession, assignment_id: UUID, rep_id: str, reason: str) -> Rejected | None:
    """The assigned rep turns a pending assignment down (atomic, like a claim); None when it is not
    theirs or no longer pending."""
    row = (
        await session.execute(
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
    return Rejected(row.lead_id, row.pool_id, row.rule_id, int(row.debit), _doc(row.event))


async def give_back_turn(session: AsyncSession, pool_id: str, rep_id: str, debit: int) -> None:
    """Undo what the rep paid for a pick: their place in the round-robin order is as before it."""
    await session.execute(
        text("UPDATE route.pool_members SET credit = credit + :d WHERE pool_id = :p AND rep_id = :r"),
        {"d": debit, "p": pool_id, "r": rep_id},
    )


async def credits(session: AsyncSession, pool_id: str) -> dict[str, int]:
    rows = await session.execute(
        text("SELECT rep_id, credit FROM route.pool_members WHERE pool_id = :p"), {"p": pool_id}
    )
    return {r.rep_id: int(r.credit) for r in rows}


async def rejection_counts(session: AsyncSession) -> list[dict[str, Any]]:
    """Rejections by rep, reason, rule and source."""
    rows = await session.execute(
        text(
            "SELECT rep_id, rejected_reason AS reason, coalesce(rule_id, 'default') AS rule_id,"
            " event->'data'->'lead'->>'source' AS source, count(*) AS n FROM route.assignments"
            " WHERE rejected_reason IS NOT NULL GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"
        )
    )
    return [{**dict(r._mapping), "n": int(r.n)} for r in rows]


async def open_owners(
    session: AsyncSession, leads: list[tuple[UUID, str | None, str | None]]
) -> dict[UUID, ExistingOwner]:
    """For each (lead, email, phone): another lead of the same person (same normalised email, else
    the same phone) that is assigned and not yet done with, and its rep; the latest such one."""
    if not leads:
        return {}
    rows = await session.execute(
        text(
            "SELECT DISTINCT ON (u.lead) u.lead, a.rep_id, a.lead_id AS other,"
            " CASE WHEN u.email IS NOT NULL AND ri.event->'data'->'lead'->>'email' = u.email"
            " THEN 'email' ELSE 'phone' END AS via"
            " FROM unnest(CAST(:l AS uuid[]), CAST(:e AS text[]), CAST(:p AS text[])) AS u(lead, email, phone)"
            " JOIN route.routing_inputs ri ON ri.lead_id <> u.lead AND ("
            " ri.event->'data'->'lead'->>'email' = u.email OR ri.event->'data'->'lead'->>'phone_e164' = u.phone)"
            " JOIN route.assignments a ON a.lead_id = ri.lead_id AND a.status IN ('pending', 'claimed')"
            " AND a.rep_id IS NOT NULL"
            " ORDER BY u.lead, a.created_at DESC"
        ),
        {"l": [lead for lead, _, _ in leads], "e": [e for _, e, _ in leads], "p": [p for _, _, p in leads]},
    )
    return {r.lead: ExistingOwner(r.rep_id, str(r.other), r.via) for r in rows}
