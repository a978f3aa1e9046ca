"""Accepting leads, one or many at once (group commit), with the same rules in arrival order:
- a trusted delivery of a known person fills in their profile; a public form's (a website form, or a
  vendor form visitors type into) adds a touch, never changes the lead and proposes what it says
  differently for review; a visitor's answer never names the lead;
- a repeated delivery (same key, or same body within the window) gets the first answer, also inside
  one batch; `namespace` scopes dedupe (a vendor source id, `api:<key>`, `form:<id>`), so one sender
  can never replay another's delivery.

One transaction per batch: one statement takes every dedupe lock (sorted, so batches never
deadlock), one finds every earlier receipt and known person, one writes every new lead with its
touch, outbox row and receipt. The rarer known-person paths run item by item in the same
transaction. If the batch fails, each item is accepted alone, so one bad item (an oversized
message, say) fails only its own request."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import uuid4

from sqlalchemy.ext.asyncio import AsyncSession

from services.capture import repository
from services.capture.config import CaptureSettings
from services.capture.group_commit import GroupCommit
from services.capture.service import Accepted, Trust, answer_for, new_lead_rows, public_touch, update_profile
from shared import metrics
from shared.db import Database
from shared.payloads import LeadFields


@dataclass(frozen=True)
class LeadItem:
    source: str
    namespace: str
    idempotency_key: str | None
    body_hash: str
    fields: LeadFields
    window: timedelta
    trust: Trust = "trusted"
    reveal_lead: bool | None = None
    """Whether the answer names the lead; by default only trusted answers do (a visitor's browser is
    told nothing). A signed vendor's public-form delivery is answered to the vendor, not the visitor."""

    @property
    def names_lead(self) -> bool:
        return self.trust == "trusted" if self.reveal_lead is None else self.reveal_lead

    def locks(self) -> list[str]:
        keys = [f"{self.namespace}:body:{self.body_hash}"]
        keys += [f"{self.namespace}:key:{self.idempotency_key}"] if self.idempotency_key else []
        return keys + ([f"email:{self.fields.email.lower()}"] if self.fields.email else [])

    def delivery(self) -> tuple[str, str, str]:
        """What makes two requests the same delivery: the key when there is one, else the body."""
        if self.idempotency_key is not None:
            return (self.namespace, "key", self.idempotency_key)
        return (self.namespace, "body", self.body_hash)


LeadCommit = GroupCommit[LeadItem, Accepted]


def lead_commit(db: Database, settings: CaptureSettings) -> LeadCommit:
    """The process's group commit for leads; every lead intake route accepts through it."""
    return GroupCommit(lambda _group, items: accept_leads(db, settings, items), metrics.LEAD_GROUP_SIZE)


async def accept_leads(db: Database, settings: CaptureSettings, items: list[LeadItem]) -> list[Accepted | Exception]:
    try:
        return list(await _accept_together(db, settings, items))
    except Exception:
        if len(items) == 1:
            raise
    answers: list[Accepted | Exception] = []
    for item in items:
        try:
            answers.append(await accept_lead(db, settings, item))
        except Exception as exc:
            answers.append(exc)
    return answers


async def accept_lead(db: Database, settings: CaptureSettings, item: LeadItem) -> Accepted:
    """One lead on its own (a CSV import's rows, or a batch's items after the batch failed)."""
    [accepted] = await _accept_together(db, settings, [item])
    return accepted


class _Batch:
    """The batch's new leads, waiting for one insert, and what earlier items of the batch decided."""

    def __init__(self, settings: CaptureSettings) -> None:
        self.settings = settings
        self.new: list[repository.NewLeadRow] = []
        self.answered: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.people: dict[str, repository.KnownLead] = {}

    def add_new_lead(self, item: LeadItem) -> Accepted:
        lead_id, receipt_id = uuid4(), uuid4()
        response = answer_for(item.names_lead, receipt_id, lead_id)
        receipt = repository.Receipt(receipt_id, item.namespace, item.idempotency_key, item.body_hash, response)
        _, rows = new_lead_rows(self.settings, lead_id, receipt_id, item.source, item.fields, item.trust, receipt)
        self.new.append(rows)
        if item.fields.email:
            self.people[item.fields.email.lower()] = repository.KnownLead(lead_id, rows[0].fields, item.trust)
        return Accepted(response, replayed=False)

    async def flush(self, session: AsyncSession) -> None:
        if self.new:
            await repository.store_new_leads(session, self.new)
            self.new = []


async def _accept_together(db: Database, settings: CaptureSettings, items: list[LeadItem]) -> list[Accepted]:
    batch = _Batch(settings)
    out: list[Accepted] = []
    async with db.session_scope() as session:
        await repository.lock_dedupe_keys(session, sorted({k for item in items for k in item.locks()}))
        found = await repository.receipts_and_known_leads(
            session,
            [repository.Lookup(i.namespace, i.idempotency_key, i.body_hash, i.window, i.fields.email) for i in items],
        )
        for item, (previous, known) in zip(items, found, strict=True):
            previous = batch.answered.get(item.delivery()) or previous
            if previous is not None:
                out.append(Accepted(previous, replayed=True))
                continue
            email = item.fields.email.lower() if item.fields.email else None
            known = (batch.people.get(email) if email else None) or known
            if known is None:
                accepted = batch.add_new_lead(item)
            else:
                await batch.flush(session)
                accepted, now_known = await _known_person(session, settings, item, known)
                if email:
                    batch.people[email] = now_known
            batch.answered[item.delivery()] = accepted.response
            out.append(accepted)
        await batch.flush(session)
    return out


async def _known_person(
    session: AsyncSession, settings: CaptureSettings, item: LeadItem, known: repository.KnownLead
) -> tuple[Accepted, repository.KnownLead]:
    """A person already known: a trusted source updates their profile, a public form adds a touch."""
    receipt_id = uuid4()
    if item.trust == "public":
        await public_touch(session, settings, known, item.source, item.fields)
        now_known = known
    else:
        event = await update_profile(session, settings, known.id, receipt_id, item.source, known, item.fields)
        now_known = repository.KnownLead(known.id, event.data.fields.model_dump(mode="json"), "trusted")
    response = answer_for(item.names_lead, receipt_id, known.id)
    await repository.insert_receipt(
        session,
        receipt_id=receipt_id,
        source=item.namespace,
        idempotency_key=item.idempotency_key,
        body_hash=item.body_hash,
        lead_id=known.id,
        response=response,
    )
    return Accepted(response, replayed=False), now_known
