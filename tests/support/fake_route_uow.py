"""route's unit of work in memory: the same ports as `services/route/uow.py`, over plain dicts, so
the cores (batch handler, SLA clock, recycler, claims, rejections) run in unit tests without
PostgreSQL. Each method does what its SQL twin's statement does; `calls` counts them per unit of
work, so a test can check that a batch costs one call per repository method."""

import copy
from collections import Counter
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Any, Self
from uuid import UUID

from services.route.availability import PERIODS, RepLoad, period_starts
from services.route.state import ExistingOwner, PoolState, Snapshot, StateChange
from services.route.store.rows import AssignmentRow, ClaimResult, NewAssignment, NurtureRecord, Recycled, Rejected
from services.route.strategies import needs
from shared.business.loader import BusinessConfig
from shared.events import EnvelopeBase


@dataclass
class Assignment:
    row: NewAssignment
    status: str
    sla_due_at: datetime | None
    claimed_by: str | None = None
    rejected_reason: str | None = None


@dataclass
class RouteTables:
    """What the `route` schema holds."""

    credits: dict[str, dict[str, int]]
    inputs: dict[UUID, dict[str, Any]] = field(default_factory=dict)
    assignments: list[Assignment] = field(default_factory=list)
    nurtured: dict[UUID, NurtureRecord] = field(default_factory=dict)
    recycles: list[tuple[UUID, int, str, str, int]] = field(default_factory=list)
    paused: set[str] = field(default_factory=set)
    account_owners: dict[str, str] = field(default_factory=dict)
    used_links: set[str] = field(default_factory=set)
    audit: list[tuple[str, str, str, dict[str, Any]]] = field(default_factory=list)

    @classmethod
    def for_config(cls, config: BusinessConfig) -> "RouteTables":
        return cls(credits={p.id: dict.fromkeys(p.rep_ids, 0) for p in config.pools})

    def of_lead(self, lead_id: UUID) -> list[Assignment]:
        return sorted((a for a in self.assignments if a.row.lead_id == lead_id), key=lambda a: a.row.attempt)

    def by_id(self, assignment_id: UUID) -> Assignment | None:
        return next((a for a in self.assignments if a.row.id == assignment_id), None)


def _row(a: Assignment) -> AssignmentRow:
    r = a.row
    return AssignmentRow(r.id, r.lead_id, r.attempt, r.outcome, a.status, r.pool_id, r.rep_id, r.event)


class _Repo:
    def __init__(self, tables: RouteTables, calls: Counter[str]) -> None:
        self.t = tables
        self._calls = calls

    def _count(self, name: str) -> None:
        self._calls[f"{type(self).__name__}.{name}"] += 1


class FakeLeads(_Repo):
    async def lock(self, lead_ids: list[UUID]) -> None:
        self._count("lock")

    async def save_inputs(self, inputs: dict[UUID, dict[str, Any]]) -> None:
        self._count("save_inputs")
        self.t.inputs.update(copy.deepcopy(inputs))

    async def routing_input(self, lead_id: UUID) -> dict[str, Any] | None:
        self._count("routing_input")
        return copy.deepcopy(self.t.inputs.get(lead_id))

    async def routing_inputs(self, lead_ids: list[UUID]) -> dict[UUID, dict[str, Any]]:
        self._count("routing_inputs")
        return {i: copy.deepcopy(self.t.inputs[i]) for i in lead_ids if i in self.t.inputs}

    async def nurtured(self, lead_ids: list[UUID]) -> dict[UUID, NurtureRecord]:
        self._count("nurtured")
        return {i: self.t.nurtured[i] for i in lead_ids if i in self.t.nurtured}

    async def save_nurtured(self, records: list[NurtureRecord]) -> None:
        if records:
            self._count("save_nurtured")
        assert len({r.lead_id for r in records}) == len(records), "one record per lead (ON CONFLICT would refuse)"
        self.t.nurtured.update({r.lead_id: r for r in records})

    async def recycled(self, lead_ids: list[UUID]) -> dict[UUID, Recycled]:
        self._count("recycled")
        found: dict[UUID, Recycled] = {}
        for lead, attempt, _, _, score in sorted(self.t.recycles, key=lambda r: r[1]):
            if lead in lead_ids:
                not_for = frozenset(
                    a.row.rep_id for a in self.t.of_lead(lead) if a.rejected_reason == "not_a_fit" and a.row.rep_id
                )
                found[lead] = Recycled(attempt, score, not_for)
        return found

    async def add_recycle(self, lead_id: UUID, attempt: int, reason: str, kind: str, score: int) -> None:
        self._count("add_recycle")
        if not any(r[0] == lead_id and r[1] == attempt for r in self.t.recycles):
            self.t.recycles.append((lead_id, attempt, reason, kind, score))

    async def stalled(self, cutoff: datetime, limit: int) -> list[dict[str, Any]]:
        self._count("stalled")
        found = []
        for a in self.t.assignments:
            latest = self.t.of_lead(a.row.lead_id)[-1]
            data = self.t.inputs.get(a.row.lead_id, {}).get("data", {})
            progress = data.get("progress_at")
            if (
                a is latest
                and a.status == "claimed"
                and a.row.decided_at < cutoff
                and (progress is None or datetime.fromisoformat(progress) < cutoff)
                and data.get("outcome") not in ("won", "lost", "converted")
            ):
                found.append(
                    {
                        "id": a.row.id,
                        "lead_id": a.row.lead_id,
                        "attempt": a.row.attempt,
                        "rep_id": a.row.rep_id,
                        "event": self.t.inputs[a.row.lead_id],
                    }
                )
        return found[:limit]

    async def use_claim_link(self, token_sha256: str, assignment_id: UUID) -> bool:
        self._count("use_claim_link")
        if token_sha256 in self.t.used_links:
            return False
        self.t.used_links.add(token_sha256)
        return True


class FakeAssignments(_Repo):
    async def add(self, rows: list[NewAssignment]) -> None:
        if rows:
            self._count("add")
        for r in rows:
            assert not any(a.row.lead_id == r.lead_id and a.row.attempt == r.attempt for a in self.t.assignments)
            self.t.assignments.append(Assignment(r, r.status, r.sla_due_at))

    async def latest(self, lead_ids: list[UUID]) -> dict[UUID, AssignmentRow]:
        self._count("latest")
        return {lead: _row(self.t.of_lead(lead)[-1]) for lead in lead_ids if self.t.of_lead(lead)}

    async def reps_who_had(self, lead_id: UUID) -> frozenset[str]:
        self._count("reps_who_had")
        return frozenset(a.row.rep_id for a in self.t.of_lead(lead_id) if a.row.rep_id)

    async def assigned_attempts(self, lead_id: UUID) -> int:
        self._count("assigned_attempts")
        return sum(1 for a in self.t.of_lead(lead_id) if a.row.outcome == "assigned")

    async def past(self, lead_ids: list[UUID]) -> dict[UUID, tuple[frozenset[str], int]]:
        self._count("past")
        found = {}
        for lead in lead_ids:
            mine = self.t.of_lead(lead)
            if mine:
                had = frozenset(a.row.rep_id for a in mine if a.row.rep_id)
                found[lead] = (had, sum(1 for a in mine if a.row.outcome == "assigned"))
        return found

    async def set_statuses(self, statuses: dict[UUID, str]) -> None:
        if statuses:
            self._count("set_statuses")
        for assignment_id, status in statuses.items():
            found = self.t.by_id(assignment_id)
            if found is not None:
                found.status = status

    async def postpone_all(self, until: dict[UUID, datetime]) -> None:
        if until:
            self._count("postpone_all")
        for assignment_id, at in until.items():
            found = self.t.by_id(assignment_id)
            if found is not None:
                found.sla_due_at = at

    async def set_status(self, assignment_id: UUID, status: str) -> None:
        self._count("set_status")
        found = self.t.by_id(assignment_id)
        if found is not None:
            found.status = status

    async def postpone(self, assignment_id: UUID, until: datetime) -> None:
        self._count("postpone")
        found = self.t.by_id(assignment_id)
        if found is not None:
            found.sla_due_at = until

    async def lock_due(self, now: datetime, limit: int) -> list[AssignmentRow]:
        self._count("lock_due")
        due = [
            a
            for a in self.t.assignments
            if a.status in ("pending", "held") and a.sla_due_at is not None and a.sla_due_at <= now
        ]
        return [_row(a) for a in sorted(due, key=lambda a: a.sla_due_at or now)[:limit]]

    async def open_owners(self, leads: list[tuple[UUID, str | None, str | None]]) -> dict[UUID, ExistingOwner]:
        self._count("open_owners")
        found: dict[UUID, ExistingOwner] = {}
        for lead, email, phone in leads:
            best: tuple[datetime, ExistingOwner] | None = None
            for other, event in self.t.inputs.items():
                person = event["data"]["lead"]
                same_email = email is not None and person.get("email") == email
                if other == lead or not (same_email or (phone is not None and person.get("phone_e164") == phone)):
                    continue
                for a in self.t.of_lead(other):
                    if a.status in ("pending", "claimed") and a.row.rep_id is not None:
                        owner = ExistingOwner(a.row.rep_id, str(other), "email" if same_email else "phone")
                        if best is None or a.row.decided_at > best[0]:
                            best = (a.row.decided_at, owner)
            if best is not None:
                found[lead] = best[1]
        return found

    async def claim(self, assignment_id: UUID, rep_id: str, managed_pools: list[str]) -> ClaimResult:
        self._count("claim")
        a = self.t.by_id(assignment_id)
        if a is None:
            return ClaimResult(False, False)
        r = a.row
        if a.status == "pending" and (r.rep_id == rep_id or r.pool_id in managed_pools):
            a.status, a.claimed_by = "claimed", rep_id
            return ClaimResult(True, True, a.status, r.rep_id, rep_id, r.decided_at, r.lead_id, r.event)
        return ClaimResult(True, False, a.status, r.rep_id, a.claimed_by, None, r.lead_id)

    async def reject(self, assignment_id: UUID, rep_id: str, reason: str) -> Rejected | None:
        self._count("reject")
        a = self.t.by_id(assignment_id)
        if a is None or a.status != "pending" or a.row.rep_id != rep_id:
            return None
        a.status, a.rejected_reason = "rejected", reason
        return Rejected(a.row.lead_id, a.row.pool_id, a.row.rule_id, a.row.debit, a.row.event)


class FakePools(_Repo):
    def __init__(self, tables: RouteTables, calls: Counter[str], config: BusinessConfig) -> None:
        super().__init__(tables, calls)
        self._config = config

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
        self._count("snapshot")
        pools = [config.pool(p) for p in sorted(pool_ids)]
        owners = {a.domain: a.owner for a in config.accounts}
        if "account_owners" in needs([p.strategy for p in pools]):
            owners.update({d: r for d, r in self.t.account_owners.items() if d in set(domains) and d not in owners})
        rep_ids = (
            {r for p in pools for r in p.rep_ids}
            | {p.manager for p in pools if p.manager}
            | set(owners.values())
            | (set(extra_reps) & config.rep_ids)
        )
        loads = {}
        for rep_id in rep_ids:
            mine = [a for a in self.t.assignments if a.row.rep_id == rep_id]
            starts = period_starts(now, config.rep(rep_id).timezone)
            counts = tuple(
                (p, sum(1 for a in mine if a.row.outcome == "assigned" and a.row.decided_at >= starts[p]))
                for p in PERIODS
            )
            loads[rep_id] = RepLoad(
                paused=rep_id in self.t.paused,
                open_leads=sum(1 for a in mine if a.status in ("pending", "claimed")),
                assigned=counts,
            )
        credits = {p.id: PoolState(dict(self.t.credits.get(p.id, {}))) for p in pools}
        return Snapshot(loads, credits, owners)

    async def apply_change(self, change: StateChange) -> None:
        self._count("apply_change")
        if change.pool_id is not None:
            members = self.t.credits[change.pool_id]
            for rep_id, weight in change.credited:
                members[rep_id] += weight - (change.debit if rep_id == change.rep_id else 0)
        if change.claim_account is not None and change.rep_id is not None:
            self.t.account_owners.setdefault(change.claim_account, change.rep_id)

    async def save_fairness(self, before: Snapshot, after: Snapshot) -> None:
        changed = False
        for pool_id, state in after.pools.items():
            for rep_id, credit in state.credits.items():
                if before.pool(pool_id).credits.get(rep_id) != credit:
                    self.t.credits[pool_id][rep_id] = credit
                    changed = True
        for domain, rep_id in after.account_owners.items():
            if before.account_owners.get(domain) != rep_id:
                self.t.account_owners.setdefault(domain, rep_id)
                changed = True
        if changed:
            self._count("save_fairness")

    async def give_back_turn(self, pool_id: str, rep_id: str, debit: int) -> None:
        self._count("give_back_turn")
        self.t.credits[pool_id][rep_id] += debit


class FakeAudit(_Repo):
    async def record(self, actor: str, action: str, subject: str, detail: dict[str, Any] | None = None) -> None:
        self._count("record")
        self.t.audit.append((actor, action, subject, detail or {}))


class FakeRouteUnitOfWork:
    """Commit keeps the tables as the work left them and records the published events (in
    `published`); an exception restores the tables as they were when the block began."""

    def __init__(self, tables: RouteTables, config: BusinessConfig) -> None:
        self.tables = tables
        self.calls: Counter[str] = Counter()
        self.leads = FakeLeads(tables, self.calls)
        self.assignments = FakeAssignments(tables, self.calls)
        self.pools = FakePools(tables, self.calls, config)
        self.audit = FakeAudit(tables, self.calls)
        self.events: list[EnvelopeBase] = []
        self.published: list[EnvelopeBase] = []
        self.commits = 0
        self._before: RouteTables | None = None

    def publish(self, event: EnvelopeBase) -> None:
        self.events.append(event)

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[object]:
        saved = copy.deepcopy(self.tables)
        try:
            yield self
        except BaseException:
            self._restore(saved)
            raise

    def _restore(self, saved: RouteTables) -> None:
        self.tables.__dict__.update(saved.__dict__)

    async def __aenter__(self) -> Self:
        self.events = []
        self.calls.clear()
        self._before = copy.deepcopy(self.tables)
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._before is not None
        if exc is not None:
            self._restore(self._before)
            return
        self.published.extend(self.events)
        self.commits += 1
