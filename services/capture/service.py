"""Accepting a lead: dedupe, store receipt + lead + outbox row in one transaction, answer after commit."""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy.ext.asyncio import AsyncSession

from services.capture import repository
from services.capture.profiling import merge
from shared.db import Database
from shared.events import EnvelopeBase, LeadActivityEvent, LeadCapturedEvent, kafka_headers, new_event, serialize_event
from shared.kafka import topic_name
from shared.logs import bind_event
from shared.payloads import Activity, CapturedLead, LeadFields
from shared.settings import BaseServiceSettings
from shared.topics import Topic

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Accepted:
    response: dict[str, Any]
    replayed: bool


async def accept_lead(
    db: Database,
    settings: BaseServiceSettings,
    *,
    source: str,
    idempotency_key: str | None,
    body_hash: str,
    fields: LeadFields,
    window: timedelta,
) -> Accepted:
    locks = [f"{source}:body:{body_hash}"] + ([f"{source}:key:{idempotency_key}"] if idempotency_key else [])
    async with db.session_scope() as session:
        await repository.lock_dedupe_keys(session, locks)
        previous = await repository.find_receipt(session, source, idempotency_key, body_hash, window)
        if previous is not None:
            return Accepted(previous, replayed=True)
        receipt_id = uuid4()
        known = None
        if fields.email:
            await repository.lock_dedupe_keys(session, [f"email:{fields.email.lower()}"])
            known = await repository.lead_fields_by_email(session, fields.email)
        if known is None:
            lead_id = uuid4()
            event = await _new_lead(session, settings, lead_id, receipt_id, source, fields)
        else:
            lead_id = known[0]
            event = await _profile_lead(session, settings, lead_id, receipt_id, source, known[1], fields)
        response = {"lead_id": str(lead_id), "status": "accepted"}
        await repository.insert_receipt(
            session,
            receipt_id=receipt_id,
            source=source,
            idempotency_key=idempotency_key,
            body_hash=body_hash,
            lead_id=lead_id,
            response=response,
        )
    with bind_event(event):
        log.info("lead accepted from %s", source)
    return Accepted(response, replayed=False)


async def _publish(session: AsyncSession, settings: BaseServiceSettings, topic: Topic, event: EnvelopeBase) -> None:
    await repository.add_outbox(
        session, topic_name(settings, topic.value), str(event.lead_id), serialize_event(event), kafka_headers(event)
    )


async def _new_lead(
    session: AsyncSession,
    settings: BaseServiceSettings,
    lead_id: UUID,
    receipt_id: UUID,
    source: str,
    fields: LeadFields,
) -> LeadCapturedEvent:
    event = new_event(
        LeadCapturedEvent,
        lead_id=lead_id,
        producer=f"capture@{source}",
        data=CapturedLead(source=source, received_at=datetime.now(UTC), receipt_id=receipt_id, fields=fields),
    )
    await repository.insert_lead(session, lead_id, fields.email, fields.phone, source, fields.model_dump(mode="json"))
    await repository.add_touch(session, lead_id, source)
    await _publish(session, settings, Topic.LEAD_CAPTURED, event)
    return event


async def _profile_lead(
    session: AsyncSession,
    settings: BaseServiceSettings,
    lead_id: UUID,
    receipt_id: UUID,
    source: str,
    known: dict[str, Any],
    fields: LeadFields,
) -> LeadCapturedEvent:
    """The same person again: fill the lead's empty fields, record the touch, and publish the lead
    anew (same lead id) so enrichment and scoring see what was learned."""
    merged = merge(LeadFields.model_validate(known), fields)
    await repository.update_lead_fields(session, lead_id, merged.phone, merged.model_dump(mode="json"))
    await repository.add_touch(session, lead_id, source)
    event = new_event(
        LeadCapturedEvent,
        lead_id=lead_id,
        producer=f"capture@{source}",
        data=CapturedLead(source=source, received_at=datetime.now(UTC), receipt_id=receipt_id, fields=merged),
    )
    await _publish(session, settings, Topic.LEAD_CAPTURED, event)
    return event


class UnknownLead(Exception):
    pass


async def accept_activity(
    db: Database,
    settings: BaseServiceSettings,
    *,
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
            await repository.lock_dedupe_keys(session, [f"events:key:{idempotency_key}"])
            previous = await repository.find_receipt(session, "events", idempotency_key, body_hash, timedelta(0))
            if previous is not None:
                return Accepted(previous, replayed=True)
        created = False
        if lead_id is not None:
            if not await repository.lead_exists(session, lead_id):
                raise UnknownLead(str(lead_id))
        else:
            assert email is not None
            await repository.lock_dedupe_keys(session, [f"email:{email.lower()}"])
            lead_id = await repository.lead_by_email(session, email)
            if lead_id is None:
                lead_id, created = uuid4(), True
                await _new_lead(session, settings, lead_id, uuid4(), "activity", LeadFields(email=email))
        event = new_event(LeadActivityEvent, lead_id=lead_id, producer="capture@events", data=activity)
        await _publish(session, settings, Topic.LEAD_ACTIVITY, event)
        response = {"lead_id": str(lead_id), "event_id": str(event.event_id), "status": "accepted", "new_lead": created}
        await repository.insert_receipt(
            session,
            receipt_id=uuid4(),
            source="events",
            idempotency_key=idempotency_key,
            body_hash=body_hash,
            lead_id=lead_id,
            response=response,
        )
    return Accepted(response, replayed=False)
