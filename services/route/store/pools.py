"""The pools and the state of the reps they reach: members and their round-robin credits, pauses,
account owners, and the loads (open leads, assignments per period) a decision reads."""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.route.availability import PERIODS, RepLoad, pause_note, period_starts
from services.route.state import PoolState, Snapshot, StateChange
from services.route.strategies import needs
from shared import raw_sql
from shared.business.loader import BusinessConfig


class PoolStore:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def sync_config(self, config: BusinessConfig) -> None:
        """Make reps and pools match the config; credits, pauses and past assignments are kept."""
        await self._s.execute(text("SELECT pg_advisory_xact_lock(hashtext('route.sync_config'))"))
        for rep in config.reps:
            await self._s.execute(
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
        await self._s.execute(
            text("UPDATE route.reps SET active = false WHERE NOT (id = ANY(:ids))"),
            {"ids": [r.id for r in config.reps]},
        )
        for pool in config.pools:
            await self._s.execute(
                text(
                    "INSERT INTO route.pools (id, strategy) VALUES (:id, :strategy)"
                    " ON CONFLICT (id) DO UPDATE SET strategy = excluded.strategy"
                ),
                {"id": pool.id, "strategy": pool.strategy},
            )
            await self._s.execute(
                text("DELETE FROM route.pool_members WHERE pool_id = :p AND NOT (rep_id = ANY(:reps))"),
                {"p": pool.id, "reps": pool.rep_ids},
            )
            for position, member in enumerate(pool.members, start=1):
                await self._s.execute(
                    text(
                        "INSERT INTO route.pool_members (pool_id, rep_id, position, weight) VALUES (:p, :r, :pos, :w)"
                        " ON CONFLICT (pool_id, rep_id) DO UPDATE SET position = excluded.position,"
                        " weight = excluded.weight"
                    ),
                    {"p": pool.id, "r": member.rep, "pos": position, "w": member.weight},
                )

    async def snapshot(
        self,
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
            found = await raw_sql.fetch(
                self._s, "SELECT domain, rep_id FROM route.account_owners WHERE domain = ANY(:d)", {"d": unknown}
            )
            owners.update({r.domain: r.rep_id for r in found})
        rep_ids = sorted(
            {r for p in pools for r in p.rep_ids}
            | {p.manager for p in pools if p.manager}
            | set(owners.values())
            | (set(extra_reps) & config.rep_ids)
        )
        credits = await self._credits(pool_ids, lock=lock)
        paused = {
            row.rep_id: pause_note(row.paused_by, row.paused_until)
            for row in await raw_sql.fetch(
                self._s,
                "SELECT rep_id, paused_by, paused_until FROM route.rep_status WHERE paused AND rep_id = ANY(:r)"
                " AND (paused_until IS NULL OR paused_until > :now)",
                {"r": rep_ids, "now": now},
            )
        }
        open_leads: dict[str, int] = {}
        if "open_leads" in wanted:
            open_leads = {
                row.rep_id: int(row.n)
                for row in await raw_sql.fetch(
                    self._s,
                    "SELECT rep_id, count(*) AS n FROM route.assignments WHERE status IN ('pending', 'claimed')"
                    " AND rep_id = ANY(:r) GROUP BY rep_id",
                    {"r": rep_ids},
                )
            }
        counts = await self.period_counts(config, rep_ids, now)
        loads = {
            r: RepLoad(
                paused=r in paused,
                open_leads=open_leads.get(r, 0),
                assigned=counts.get(r, ()),
                pause_note=paused.get(r),
            )
            for r in rep_ids
        }
        return Snapshot(loads, credits, owners)

    async def _credits(self, pool_ids: list[str], *, lock: bool) -> dict[str, PoolState]:
        """Each pool's member credits (every pool has members: the config requires one) and whether
        it is paused, in one statement. Locking, the statement locks the member rows as well as the
        pools: once it has waited for another decision, PostgreSQL re-reads only the rows it locks, so
        credits read through an unlocked join would be the ones from before that decision, and round
        robin would drift."""
        credits: dict[str, dict[str, int]] = {p: {} for p in pool_ids}
        paused: dict[str, str] = {}
        read = (
            "SELECT m.pool_id, m.rep_id, m.credit, p.paused, p.paused_by FROM route.pools p"
            " JOIN route.pool_members m ON m.pool_id = p.id"
            " WHERE p.id = ANY(:p) ORDER BY p.id, m.rep_id" + (" FOR UPDATE OF p, m" if lock else "")
        )
        for row in await raw_sql.fetch(self._s, read, {"p": pool_ids}):
            credits[row.pool_id][row.rep_id] = int(row.credit)
            if row.paused:
                paused[row.pool_id] = pause_note(row.paused_by, None)
        return {p: PoolState(credits[p], paused.get(p)) for p in pool_ids}

    async def period_counts(
        self, config: BusinessConfig, rep_ids: list[str], now: datetime, *, only_capped: bool = True
    ) -> dict[str, tuple[tuple[str, int], ...]]:
        """Assignments per rep since the start of their own day, week and month (each in their time zone);
        by default only for reps with a cap, the only ones a decision needs."""
        capped = [
            r for r in rep_ids if not only_capped or any(getattr(config.rep(r).caps, p) is not None for p in PERIODS)
        ]
        if not capped:
            return {}
        starts = {r: period_starts(now, config.rep(r).timezone) for r in capped}
        rows = await raw_sql.fetch(
            self._s,
            "SELECT a.rep_id,"
            " count(*) FILTER (WHERE a.created_at >= s.day_start) AS day,"
            " count(*) FILTER (WHERE a.created_at >= s.week_start) AS week,"
            " count(*) FILTER (WHERE a.created_at >= s.month_start) AS month"
            " FROM route.assignments a"
            " JOIN unnest(CAST(:reps AS text[]), CAST(:days AS timestamptz[]), CAST(:weeks AS timestamptz[]),"
            "             CAST(:months AS timestamptz[])) AS s(rep_id, day_start, week_start, month_start)"
            " ON s.rep_id = a.rep_id"
            " WHERE a.outcome = 'assigned' AND a.created_at >= least(s.week_start, s.month_start)"
            " GROUP BY a.rep_id",
            {
                "reps": capped,
                "days": [starts[r]["day"] for r in capped],
                "weeks": [starts[r]["week"] for r in capped],
                "months": [starts[r]["month"] for r in capped],
            },
        )
        return {row.rep_id: (("day", row.day), ("week", row.week), ("month", row.month)) for row in rows}

    async def apply_change(self, change: StateChange) -> None:
        if change.pool_id is not None and change.credited:
            await raw_sql.execute(
                self._s,
                "UPDATE route.pool_members m"
                " SET credit = m.credit + c.weight - CASE WHEN m.rep_id = :winner THEN :debit ELSE 0 END"
                " FROM unnest(CAST(:reps AS text[]), CAST(:weights AS int[])) AS c(rep_id, weight)"
                " WHERE m.pool_id = :p AND m.rep_id = c.rep_id",
                {
                    "p": change.pool_id,
                    "winner": change.rep_id,
                    "debit": change.debit,
                    "reps": [r for r, _ in change.credited],
                    "weights": [w for _, w in change.credited],
                },
            )
        if change.claim_account is not None and change.rep_id is not None:
            await raw_sql.execute(
                self._s,
                "INSERT INTO route.account_owners (domain, rep_id) VALUES (:d, :r) ON CONFLICT DO NOTHING",
                {"d": change.claim_account, "r": change.rep_id},
            )

    async def save_fairness(self, before: Snapshot, after: Snapshot) -> None:
        """The credits and account owners a batch of decisions changed (the pools are locked meanwhile)."""
        changed = [
            (pool_id, rep_id, credit)
            for pool_id, state in after.pools.items()
            for rep_id, credit in state.credits.items()
            if before.pool(pool_id).credits.get(rep_id) != credit
        ]
        if changed:
            await raw_sql.execute(
                self._s,
                "UPDATE route.pool_members m SET credit = u.c FROM unnest(CAST(:p AS text[]), CAST(:r AS text[]),"
                " CAST(:c AS int[])) AS u(p, r, c) WHERE m.pool_id = u.p AND m.rep_id = u.r",
                {"p": [p for p, _, _ in changed], "r": [r for _, r, _ in changed], "c": [c for _, _, c in changed]},
            )
        claimed = sorted((d, r) for d, r in after.account_owners.items() if before.account_owners.get(d) != r)
        if claimed:
            await raw_sql.execute(
                self._s,
                "INSERT INTO route.account_owners (domain, rep_id) SELECT d, r"
                " FROM unnest(CAST(:d AS text[]), CAST(:r AS text[])) AS u(d, r) ON CONFLICT DO NOTHING",
                {"d": [d for d, _ in claimed], "r": [r for _, r in claimed]},
            )

    async def set_paused(self, rep_id: str, paused: bool, by: str = "ops", until: datetime | None = None) -> None:
        """Pause (by `by`: "ops" or "self", lapsing at `until` if given) or resume a rep."""
        await self._s.execute(
            text(
                "INSERT INTO route.rep_status (rep_id, paused, paused_by, paused_until, paused_at)"
                " VALUES (:r, :p, :b, :u, CASE WHEN :p THEN now() END)"
                " ON CONFLICT (rep_id) DO UPDATE SET paused = excluded.paused, paused_by = excluded.paused_by,"
                " paused_until = excluded.paused_until, paused_at = excluded.paused_at, updated_at = now()"
            ),
            {"r": rep_id, "p": paused, "b": by if paused else None, "u": until if paused else None},
        )

    async def set_pool_paused(self, pool_id: str, paused: bool, by: str) -> bool:
        """False when the pool is not known here."""
        result = await self._s.execute(
            text(
                "UPDATE route.pools SET paused = :p, paused_by = CASE WHEN :p THEN :b END,"
                " paused_at = CASE WHEN :p THEN now() END WHERE id = :i RETURNING id"
            ),
            {"i": pool_id, "p": paused, "b": by},
        )
        return result.first() is not None

    async def pool_pauses(self) -> dict[str, dict[str, Any]]:
        rows = await self._s.execute(text("SELECT id, paused, paused_by, paused_at FROM route.pools"))
        return {r.id: {"paused": r.paused, "paused_by": r.paused_by, "paused_at": r.paused_at} for r in rows}

    async def give_back_turn(self, pool_id: str, rep_id: str, debit: int) -> None:
        """Undo what the rep paid for a pick: their place in the round-robin order is as before it."""
        await self._s.execute(
            text("UPDATE route.pool_members SET credit = credit + :d WHERE pool_id = :p AND rep_id = :r"),
            {"d": debit, "p": pool_id, "r": rep_id},
        )

    async def credits(self, pool_id: str) -> dict[str, int]:
        rows = await self._s.execute(
            text("SELECT rep_id, credit FROM route.pool_members WHERE pool_id = :p"), {"p": pool_id}
        )
        return {r.rep_id: int(r.credit) for r in rows}
