"""Outreach-tool replies (Instantly / lemlist style): a shared secret in `X-Webhook-Secret`; a reply or
an "interested" mark becomes a behaviour event on the lead with that email (or a new lead)."""

import hashlib
from collections.abc import Mapping
from datetime import datetime

import orjson

from services.capture.sources.base import BodyParser, Inbound, Parsed, PayloadError, require, text
from shared.payloads import Activity
from shared.secret_compare import same_secret

KINDS = {
    "reply_received": "email_replied",
    "emailsReplied": "email_replied",
    "lead_interested": "lead_interested",
    "interested": "lead_interested",
    "email_opened": "email_opened",
    "emailsOpened": "email_opened",
}


class Outreach(BodyParser):
    def verify(self, request: Inbound, secret: str) -> None:
        given = request.header("x-webhook-secret") or ""
        require(same_secret(given, secret), "X-Webhook-Secret", "missing or wrong secret")

    def parse(self, request: Inbound, field_map: Mapping[str, str] | None = None) -> Parsed:
        try:
            body = orjson.loads(request.body)
            assert isinstance(body, dict)
        except (orjson.JSONDecodeError, AssertionError) as exc:
            raise PayloadError([{"field": "(body)", "message": "expected a JSON object"}]) from exc
        event = str(body.get("event_type") or body.get("type") or "")
        kind = KINDS.get(event)
        if kind is None:
            raise PayloadError([{"field": "event_type", "message": f"unsupported event {event!r}"}])
        email = text(body.get("lead_email") or body.get("leadEmail") or body.get("email"))
        if email is None:
            raise PayloadError([{"field": "lead_email", "message": "the lead's email is required"}])
        try:
            when = datetime.fromisoformat(str(body["timestamp"]).replace("Z", "+00:00"))
        except (KeyError, ValueError):
            when = request.received_at
        if when.tzinfo is None:
            when = request.received_at
        props = {k: body[k] for k in ("campaign_name", "campaignName", "reply_text", "text") if k in body}
        delivery = str(body.get("id") or body.get("_id") or hashlib.sha256(request.body).hexdigest())
        return Parsed(delivery, activity=Activity(kind=kind, occurred_at=when, properties=props), activity_email=email)
