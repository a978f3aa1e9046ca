"""Standard Webhooks (standardwebhooks.com): webhook-id, webhook-timestamp, webhook-signature
`v1,<base64>`, whsec_ secrets, 5-minute tolerance. The body is the spec's own envelope
`{"type": "lead.created", "timestamp": ..., "data": <lead>}` (a type ending in `.activity` carries a
behaviour event), or our flat form: the same JSON lead as POST /v1/webhooks/generic, or
{"type": "lead.activity", "email": ..., ...}."""

from collections.abc import Mapping
from typing import Any

import orjson
from pydantic import ValidationError
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from services.capture.activity import ActivityIn
from services.capture.intake import GenericLead
from services.capture.sources.base import BodyParser, Inbound, Parsed, PayloadError, SignatureError
from shared.http_errors import field_errors


def unwrap(body: dict[str, Any]) -> dict[str, Any]:
    """The Standard Webhooks envelope `{"type", "timestamp", "data": {...}}` as our flat body: the data,
    with the type kept (an activity type such as lead.activity stays an activity)."""
    data = body.get("data")
    if not isinstance(data, dict) or "timestamp" not in body or not isinstance(body.get("type"), str):
        return body
    kind = str(body["type"])
    return {**data, "type": "lead.activity"} if kind.endswith(".activity") else dict(data)


class StandardWebhooks(BodyParser):
    def verify(self, request: Inbound, secret: str) -> None:
        try:
            Webhook(secret).verify(request.body, dict(request.headers), json_parse=False)
        except (WebhookVerificationError, ValueError, UnicodeDecodeError) as exc:
            raise SignatureError("webhook-signature", str(exc) or "invalid signature") from exc

    def parse(self, request: Inbound, field_map: Mapping[str, str] | None = None) -> Parsed:
        delivery = request.header("webhook-id") or ""
        try:
            body = orjson.loads(request.body)
        except orjson.JSONDecodeError as exc:
            raise PayloadError([{"field": "(body)", "message": f"not valid JSON: {exc}"}]) from exc
        if not isinstance(body, dict):
            raise PayloadError([{"field": "(body)", "message": "expected a JSON object"}])
        body = unwrap(body)
        try:
            if body.get("type") == "lead.activity":
                event = ActivityIn.model_validate({k: v for k, v in body.items() if k != "type"})
                if missing := event.missing_lead():
                    raise PayloadError(missing)
                if event.email is None:
                    raise PayloadError([{"field": "email", "message": "signed activity needs the lead's email"}])
                return Parsed(delivery, activity=event.to_activity(), activity_email=event.email)
            lead = GenericLead.model_validate(body)
        except ValidationError as exc:
            raise PayloadError(field_errors(exc.errors())) from exc
        if missing := lead.missing_contact():
            raise PayloadError(missing)
        return Parsed(delivery, fields=lead.to_fields())
