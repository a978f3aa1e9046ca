"""notify's unit of work in memory (the ports of `services/notify/uow.py`), so its batch handler's
decisions (what goes now, what waits for its slot, what joins a digest) run without PostgreSQL."""

import copy
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Self
from uuid import UUID

from services.notify.delivery_store import Unsendable
from services.notify.digest_admission import admit_in_order
from services.notify.digests import Escalation, window_of
from services.notify.queue import Delivery, NewDelivery
from shared.business.notifications import EscalationDigest
from shared.events import EnvelopeBase


@dataclass
class Item:
    digest_id: int
    individual: bool
    claimed_by: str | None = None


@dataclass
class NotifyTables:
    deliveries: dict[tuple[UUID, str], str] = field(default_factory=dict)
    """(assignment, channel) -> status."""
    digests: dict[tuple[str, str, datetime], int] = field(default_factory=dict)
    dirty: set[int] = field(default_factory=set)
    items: dict[tuple[UUID, str], Item] = field(default_factory=dict)


class FakeDeliveries:
    def __init__(self, tables: NotifyTables, calls: Counter[str]) -> None:
        self.t, self._calls = tables, calls

    async def enqueue(self, rows: list[NewDelivery], sender: UUID) -> list[Delivery]:
        self._calls["enqueue"] += 1
        sending = []
        for r in rows:
            key = (r.assignment.assignment_id, r.channel)
            if key in self.t.deliveries:
                continue
            self.t.deliveries[key] = "sending" if r.send_now else "queued"
            if r.send_now:
                sending.append(Delivery(len(self.t.deliveries), r.assignment, r.channel, r.target, 1))
        return sending

    async def fail(self, failures: list[Unsendable]) -> None:
        self._calls["fail"] += 1
        for f in failures:
            self.t.deliveries.setdefault((f.event.data.assignment_id, f.channel), "failed")


class FakeDigests:
    def __init__(self, tables: NotifyTables, calls: Counter[str]) -> None:
        self.t, self._calls = tables, calls

    async def admit(self, escalations: list[Escalation], policy: EscalationDigest, now: datetime) -> list[Escalation]:
        self._calls["admit"] += 1
        start, _ = window_of(now, policy.window_seconds)
        digest_of = {}
        for e in escalations:
            key = (e.channel, e.target, start)
            digest_of[(e.channel, e.target)] = self.t.digests.setdefault(key, len(self.t.digests) + 1)
        sent_alone = Counter(i.digest_id for i in self.t.items.values() if i.individual)
        admitted = admit_in_order(escalations, digest_of, dict(sent_alone), set(self.t.items), policy.threshold)
        for x in admitted:
            self.t.items[(x.escalation.assignment.assignment_id, x.escalation.channel)] = Item(
                x.digest_id, x.individual
            )
            if not x.individual:
                self.t.dirty.add(x.digest_id)
        return [x.escalation for x in admitted if x.individual]

    async def mark_claimed(
        self, claims: list[tuple[UUID, str, datetime]], policy: EscalationDigest, now: datetime
    ) -> None:
        self._calls["mark_claimed"] += 1
        for assignment_id, rep_id, _ in claims:
            for (a, _), item in self.t.items.items():
                if a == assignment_id and not item.individual and item.claimed_by is None:
                    item.claimed_by = rep_id
                    self.t.dirty.add(item.digest_id)


class FakeNotifyUnitOfWork:
    def __init__(self, tables: NotifyTables) -> None:
        self.tables = tables
        self.calls: Counter[str] = Counter()
        self.deliveries = FakeDeliveries(tables, self.calls)
        self.digests = FakeDigests(tables, self.calls)
        self.events: list[EnvelopeBase] = []
        self._before: NotifyTables | None = None

    def publish(self, event: EnvelopeBase) -> None:
        self.events.append(event)

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[object]:
        yield self

    async def __aenter__(self) -> Self:
        self._before = copy.deepcopy(self.tables)
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc is not None and self._before is not None:
            self.tables.__dict__.update(self._before.__dict__)
