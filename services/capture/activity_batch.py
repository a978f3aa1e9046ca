"""Accepting many behaviour events at once, set-based: one transaction, a handful of statements for
the whole batch (locks, earlier receipts, leads by email, lead ids, then every outbox row and
receipt in one insert). Same rules as `accept_activity`, one event at a time."""

from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

from services.capture import repository
from services.capture.config import CaptureSettings
from services.capture.group_commit import GroupCommit
from services.capture.service import Accepted, create_lead
from shared import metrics
from shared.db import Database
from shared.events import LeadActivityEvent, new_event
from shared.payloads import Activity, LeadFields
from shared.publish import record_of


@dataclass(frozen=True)
class Item:
    lead_id: UUID | None
    email: str | None
    activity: Activity
    event_id: str | None
    body_hash: str


EventCommit = GroupCommit[Item, Accepted | None]


def event_commit(db: Database, settings: CaptureSettings) -> EventCommit:
    """`POST /v1/events` requests written together: one `accept_activities` per namespace and batch."""
    return GroupCommit(lambda ns, items: accept_activities(db, settings, ns, items), metrics.EVENT_GROUP_SIZE)


async def accept_activities(
    db: Database, settings: CaptureSettings, namespace: str, items: list[Item]
) -> list[Accepted | None]:
    """Per item: its answer (new or replayed), or None when its lead id is unknown."""
    keys = sorted({f"{namespace}:key:{i.event_id}" for i in items if i.event_id})
    emails = sorted({i.email.lower() for i in items if i.email and i.lead_id is None})
    out: list[Accepted | None] = []
    rows: list[tuple[repository.OutboxRow, repository.Receipt, UUID]] = []
    async with db.session_scope() as session:
        await repository.lock_dedupe_keys(session, keys + [f"email:{e}" for e in emails])
        earlier = await repository.receipts_for_keys(session, namespace, [i.event_id for i in items if i.event_id])
        by_email = await repository.lead_ids_by_emails(session, emails)
        known_ids = await repository.existing_lead_ids(session, [i.lead_id for i in items if i.lead_id])
        for item in items:
            if item.event_id and item.event_id in earlier:
                out.append(Accepted(earlier[item.event_id], replayed=True))
                continue
            if item.lead_id is not None:
                if item.lead_id not in known_ids:
                    out.append(None)
                    continue
                lead_id = item.lead_id
            else:
                assert item.email is not None
                found = by_email.get(item.email.lower())
                if found is None:
                    found = uuid4()
                    by_email[item.email.lower()] = found
                    await create_lead(session, settings, found, uuid4(), "activity", LeadFields(email=item.email))
                lead_id = found
            event = new_event(LeadActivityEvent, lead_id=lead_id, producer="capture@events", data=item.activity)
            response: dict[str, Any] = {
                "lead_id": str(lead_id),
                "event_id": str(event.event_id),
                "status": "accepted",
            }
            record = record_of(event, settings)
            outbox = repository.OutboxRow(0, record.topic, record.key, record.payload, record.headers)
            receipt = repository.Receipt(uuid4(), namespace, item.event_id, item.body_hash, response)
            rows.append((outbox, receipt, lead_id))
            if item.event_id:
                earlier[item.event_id] = response
            out.append(Accepted(response, replayed=False))
        if rows:
            await repository.add_outbox_and_receipts(session, rows)
    return out
