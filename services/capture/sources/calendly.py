"""Calendly v2: `Calendly-Webhook-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.body">`. An
invitee.created event (someone booked a meeting) becomes a lead, its booking questions mapped like any
form's answers; other events are acknowledged."""

import hashlib
import hmac
from collections.abc import Mapping

import orjson

from services.capture.sources.base import (
    BodyParser,
    Inbound,
    Parsed,
    PayloadError,
    fresh,
    is_timestamp,
    require,
    text,
    utm_of,
)
from services.capture.sources.field_map import Answers
from shared.payloads import LeadFields
from shared.secret_compare import same_secret


class Calendly(BodyParser):
    def verify(self, request: Inbound, secret: str) -> None:
        header = "Calendly-Webhook-Signature"
        parts = dict(p.split("=", 1) for p in (request.header(header) or "").split(",") if "=" in p)
        require("t" in parts and "v1" in parts, header, "missing t= or v1=")
        require(is_timestamp(parts["t"]), header, "t is not a timestamp")
        timestamp = float(parts["t"])
        signed = parts["t"].encode() + b"." + request.body
        expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
        require(same_secret(parts["v1"], expected), header, "signature does not match the body")
        fresh(timestamp, request.received_at, header)

    def parse(self, request: Inbound, field_map: Mapping[str, str] | None = None) -> Parsed:
        try:
            body = orjson.loads(request.body)
            event, payload = str(body["event"]), body["payload"]
        except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
            raise PayloadError([{"field": "payload", "message": "not a Calendly webhook event"}]) from exc
        delivery = f"{event}:{payload.get('uri') or payload.get('email')}"
        if event != "invitee.created":
            return Parsed(delivery)
        answers = {qa.get("question", ""): qa.get("answer") for qa in payload.get("questions_and_answers") or []}
        mapped = _mapped(answers, field_map or {})
        tracking = payload.get("tracking") or {}
        fields = LeadFields(
            email=text(payload.get("email")),
            name=text(payload.get("name")),
            first_name=text(payload.get("first_name")),
            last_name=text(payload.get("last_name")),
            phone=text(payload.get("text_reminder_number") or mapped.get("phone")),
            company=text(mapped.get("company")),
            title=text(mapped.get("title")),
            country=text(mapped.get("country")),
            utm=utm_of(tracking),
            extra={"calendly_event": (payload.get("scheduled_event") or {}).get("name"), "answers": answers},
        )
        if not fields.email:
            raise PayloadError([{"field": "payload.email", "message": "invitee has no email"}])
        return Parsed(delivery, fields=fields)


def _mapped(answers: Mapping[str, object], field_map: Mapping[str, str]) -> dict[str, object]:
    """The booking questions' answers as lead fields ("Company name", "Job title", or the source's
    field_map); the invitee's own name and email come from Calendly, never from an answer."""
    collected = Answers(field_map)
    for question, answer in answers.items():
        collected.add((question,), answer, key=question)
    return collected.mapped()[0]
