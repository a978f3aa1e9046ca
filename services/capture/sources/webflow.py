"""Webflow form_submission: `x-webflow-signature` = hex HMAC-SHA256 of "<x-webflow-timestamp>:<body>",
timestamp in milliseconds (app-created webhooks only; dashboard ones are unsigned and use a URL token).
Form fields arrive by their labels, mapped with the source's field_map; a phone can be a number."""

import hashlib
import hmac
from collections.abc import Mapping

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
from services.capture.sources.field_map import Answers
from shared.secret_compare import same_secret


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

    def parse(self, request: Inbound, field_map: Mapping[str, str] | None = None) -> Parsed:
        try:
            body = orjson.loads(request.body)
            payload = body["payload"]
            data = payload["data"]
        except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
            raise PayloadError([{"field": "payload.data", "message": "not a Webflow form_submission"}]) from exc
        if body.get("triggerType", "form_submission") != "form_submission":
            return Parsed(str(payload.get("id", "")))
        answers = Answers(field_map or {})
        for label, value in data.items():
            answers.add((str(label),), value, key=str(label))
        mapped, rest = answers.mapped()
        extra = {**rest, "webflow_form": payload.get("name"), "webflow_site": payload.get("siteId")}
        fields = form_lead(mapped, utm={}, extra=extra, where="payload.data")
        return Parsed(str(payload.get("id") or payload.get("submittedAt")), fields=fields)
