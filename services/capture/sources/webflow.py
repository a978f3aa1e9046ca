"""Webflow form_submission: `x-webflow-signature` = hex HMAC-SHA256 of "<x-webflow-timestamp>:<body>",
timestamp in milliseconds. Form fields arrive by their labels; a phone can arrive as a number."""

import hashlib
import hmac
from typing import Any

import orjson

from services.capture.sources.base import (
    BodyParser,
    Inbound,
    Parsed,
    PayloadError,
    form_lead,
    fresh,
    is_timestamp,
    require,
)
from shared.secret_compare import same_secret

LABELS = {
    "email": ("email", "e-mail", "work email"),
    "phone": ("phone", "phone number", "mobile"),
    "name": ("name", "full name", "your name"),
    "first_name": ("first name", "firstname"),
    "last_name": ("last name", "lastname"),
    "company": ("company", "company name", "organization"),
    "title": ("job title", "title", "role"),
    "country": ("country",),
    "notes": ("message", "notes", "comments"),
}


def _by_label(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    mapped: dict[str, Any] = {}
    rest: dict[str, Any] = {}
    for label, value in data.items():
        key = label.strip().lower()
        ours = next((name for name, labels in LABELS.items() if key in labels), None)
        if ours is not None and ours not in mapped:
            mapped[ours] = value
        else:
            rest[label] = value
    return mapped, rest


class Webflow(BodyParser):
    def verify(self, request: Inbound, secret: str) -> None:
        header = "x-webflow-signature"
        given, stamp = request.header(header), request.header("x-webflow-timestamp")
        require(given is not None and stamp is not None, header, "missing signature or timestamp header")
        assert given is not None and stamp is not None
        require(is_timestamp(stamp), "x-webflow-timestamp", "not a millisecond timestamp")
        expected = hmac.new(secret.encode(), stamp.encode() + b":" + request.body, hashlib.sha256).hexdigest()
        require(same_secret(given, expected), header, "signature does not match the body")
        fresh(int(stamp) / 1000, request.received_at, "x-webflow-timestamp")

    def parse(self, request: Inbound) -> Parsed:
        try:
            body = orjson.loads(request.body)
            payload = body["payload"]
            data = payload["data"]
        except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
            raise PayloadError([{"field": "payload.data", "message": "not a Webflow form_submission"}]) from exc
        if body.get("triggerType", "form_submission") != "form_submission":
            return Parsed(str(payload.get("id", "")))
        mapped, rest = _by_label(data)
        extra = {**rest, "webflow_form": payload.get("name"), "webflow_site": payload.get("siteId")}
        fields = form_lead(mapped, utm={}, extra=extra, where="payload.data")
        return Parsed(str(payload.get("id") or payload.get("submittedAt")), fields=fields)
