"""The parts of accepting a lead or a behaviour event: the answer, a new lead's rows, a known person's
profile update or public touch, and one behaviour event alone (`lead_batch` accepts leads)."""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from uuid import UUID, uuid4

from sqlalchemy.ext.asyncio import AsyncSession

from services.capture import repository
from services.capture.config import CaptureSettings
from services.capture.message_size import refuse_oversized
from services.capture.profiling import merge, proposals, with_value
from shared.db import Database
from shared.events import EnvelopeBase, LeadActivityEvent, LeadCapturedEvent, new_event
from shared.payloads import Activity, CapturedLead, LeadFields
from shared.publish import record_of

log = logging.getLogger(__name__)
Trust = Literal["trusted", "public"]


@dataclass(frozen=True)
class Accepted:
    response: dict[str, Any]
    replayed: bool


def answer_for(names_lead: bool, receipt_id: UUID, lead_id: UUID) -> dict[str, Any]:
    if not names_lead:
        return {"status": "received", "receipt_id": str(receipt_id)}
    return {"lead_id": str(lead_id), "status": "accepted"}


async def _publish(session: AsyncSession, settings: CaptureSettings, event: EnvelopeBase) -> None:
    """Into the outbox, in the caller's transaction (capture's events are sent by the outbox relay)."""
    record = record_of(event, settings)
    refuse_oversized(event, record.payload, settings.max_message_bytes)
    await repository.add_outbox(session, record.topic, record.key, record.payload, record.headers)


def new_lead_rows(
    settings: CaptureSettings,
    lead_id: UUID,
    receipt_id: UUID,
    source: str,
    fields: LeadFields,
    trust: Trust = "trusted",
    receipt: repository.Receipt | None = None,
) -> tuple[LeadCapturedEvent, repository.NewLeadRow]:
    """A new lead's lead.captured event and the rows that store it (refused if over the message limit)."""
    event = new_event(
        LeadCapturedEvent,
        lead_id=lead_id,
        producer=f"capture@{source}",
        data=CapturedLead(source=source, received_at=datetime.now(UTC), receipt_id=receipt_id, fields=fields),
    )
    record = record_of(event, settings)
    refuse_oversized(event, record.payload, settings.max_message_bytes)
    lead = repository.NewLead(lead_id, source, trust, fields.email, fields.phone, fields.model_dump(mode="json"))
    outbox = repository.OutboxRow(0, record.topic, record.key, record.payload, record.headers)
    return event, (lead, outbox, receipt)


async def create_lead(
    session: AsyncSession,
    settings: CaptureSettings,
    lead_id: UUID,
    receipt_id: UUID,
    source: str,
    fields: LeadFields,
) -> LeadCapturedEvent:
    """A new lead with no intake receipt of its own (one a behaviour event names by email): its row,
    first touch and lead.captured outbox row, written by one statement."""
    event, rows = new_lead_rows(settings, lead_id, receipt_id, source, fields)
    await repository.store_new_leads(session, [rows])
    return event


async def update_profile(
    session: AsyncSession,
    settings: CaptureSettings,
    lead_id: UUID,
    receipt_id: UUID,
    source: str,
    known: repository.KnownLead,
    fields: LeadFields,
) -> LeadCapturedEvent:
    """The same person from a trusted source: fill the lead's empty fields (or replace what only a
    public form had said), record the touch, and publish the lead anew (same lead id) so enrichment
    and scoring see what was learned."""
    merged = merge(LeadFields.model_validate(known.fields), fields, new_wins=known.trust == "public")
    event = new_event(
        LeadCapturedEvent,
        lead_id=lead_id,
        producer=f"capture@{source}",
        data=CapturedLead(source=source, received_at=datetime.now(UTC), receipt_id=receipt_id, fields=merged),
    )
    await _publish(session, settings, event)
    await repository.update_lead_fields(session, lead_id, merged.phone, merged.model_dump(mode="json"), "trusted")
    await repository.add_touch(session, lead_id, source)
    return event


async def public_touch(
    session: AsyncSession, settings: CaptureSettings, known: repository.KnownLead, source: str, fields: LeadFields
) -> LeadActivityEvent:
    """A known person submitted a public form again: kept as a touch with what they sent, and
    published as a `form_submitted` behaviour event; the lead's own fields stay as they were, and
    whatever the submission says differently waits for ops as field reviews."""
    lead_id = known.id
    await repository.add_field_reviews(
        session, lead_id, source, proposals(LeadFields.model_validate(known.fields), fields)
    )
    event = new_event(
        LeadActivityEvent,
        lead_id=lead_id,
        producer=f"capture@{source}",
        data=Activity(kind="form_submitted", occurred_at=datetime.now(UTC), properties={"source": source}),
    )
    await _publish(session, settings, event)
    await repository.add_touch(session, lead_id, source, "public", fields.model_dump(mode="json"))
    return event


async def accept_field_review(
    session: AsyncSession, settings: CaptureSettings, review: dict[str, Any], who: str
) -> LeadCapturedEvent | None:
    """An operator accepted a proposed value: the lead takes it and is published anew, so enrichment,
    scoring and routing see it. None when the lead is gone."""
    known = await repository.known_lead_for_update(session, review["lead_id"])
    if known is None:
        return None
    fields = with_value(LeadFields.model_validate(known.fields), str(review["field"]), str(review["proposed_value"]))
    source = f"review:{who}"
    event = new_event(
        LeadCapturedEvent,
        lead_id=known.id,
        producer=f"capture@{source}",
        data=CapturedLead(source=source, received_at=datetime.now(UTC), receipt_id=uuid4(), fields=fields),
    )
    await _publish(session, settings, event)
    await repository.update_lead_fields(session, known.id, fields.phone, fields.model_dump(mode="json"), known.trust)
    await repository.add_touch(session, known.id, source)
    return event


class UnknownLead(Exception):
    pass


async def accept_activity(
    db: Database,
    settings: CaptureSettings,
    *,
    namespace: str,
    lead_id: UUID | None,
    email: str | None,
    activity: Activity,
    idempotency_key: str | None,
    body_hash: str,
) -> Accepted:
    """A behaviour event for a known lead (by id, or by email), or for a new lead created from the email.
    Deduplicated only by the sender's event id / Idempotency-Key: two identical page views are two events."""
    async with db.session_scope() as session:
        if idempotency_key is not None:
            await repository.lock_dedupe_keys(session, [f"{namespace}:key:{idempotency_key}"])
            previous = await repository.find_receipt(session, namespace, idempotency_key, body_hash, timedelta(0))
            if previous is not None:
                return Accepted(previous, replayed=True)
        if lead_id is not None:
            if not await repository.lead_exists(session, lead_id):
                raise UnknownLead(str(lead_id))
        else:
            assert email is not None
            await repository.lock_dedupe_keys(session, [f"email:{email.lower()}"])
            lead_id = await repository.lead_by_email(session, email)
            if lead_id is None:
                lead_id = uuid4()
                await create_lead(session, settings, lead_id, uuid4(), "activity", LeadFields(email=email))
        event = new_event(LeadActivityEvent, lead_id=lead_id, producer="capture@events", data=activity)
        await _publish(session, settings, event)
        response = {"lead_id": str(lead_id), "event_id": str(event.event_id), "status": "accepted"}
        await repository.insert_receipt(
            session,
            receipt_id=uuid4(),
            source=namespace,
            idempotency_key=idempotency_key,
            body_hash=body_hash,
            lead_id=lead_id,
            response=response,
        )
    return Accepted(response, replayed=False)
