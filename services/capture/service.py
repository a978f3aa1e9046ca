"""Accepting a lead: dedupe, store receipt + lead + outbox row in one transaction, answer after commit."""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

from services.capture import repository
from shared.db import Database
from shared.events import LeadCapturedEvent, kafka_headers, new_event, serialize_event
from shared.kafka import topic_name
from shared.logs import bind_event
from shared.payloads import CapturedLead, LeadFields
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
        lead_id, receipt_id = uuid4(), uuid4()
        event = new_event(
            LeadCapturedEvent,
            lead_id=lead_id,
            producer=f"capture@{source}",
            data=CapturedLead(source=source, received_at=datetime.now(UTC), receipt_id=receipt_id, fields=fields),
        )
        response = {"lead_id": str(lead_id), "status": "accepted"}
        await repository.insert_intake(
            session,
            receipt_id=receipt_id,
            source=source,
            idempotency_key=idempotency_key,
            body_hash=body_hash,
            lead_id=lead_id,
            email=fields.email,
            phone=fields.phone,
            fields=fields.model_dump(mode="json"),
            response=response,
        )
        await repository.add_outbox(
            session,
            topic_name(settings, Topic.LEAD_CAPTURED.value),
            str(lead_id),
            serialize_event(event),
            kafka_headers(event),
        )
    with bind_event(event):
        log.info("lead accepted from %s", source)
    return Accepted(response, replayed=False)
