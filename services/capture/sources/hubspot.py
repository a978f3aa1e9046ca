"""HubSpot (v3 request signatures): `X-HubSpot-Signature-v3` = base64 HMAC-SHA256 over
method + URI + body + `X-HubSpot-Request-Timestamp` (milliseconds), refused outside 5 minutes.
The body is a workflow webhook with the contact's properties (flat, or `properties.<name>.value`)."""

import base64
import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

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
from shared.payloads import LeadFields
from shared.secret_compare import same_secret


def _props(body: dict[str, Any]) -> dict[str, Any]:
    props = body.get("properties", body)
    return {k: (v.get("value") if isinstance(v, dict) else v) for k, v in props.items()}


class HubSpot(BodyParser):
    def verify(self, request: Inbound, secret: str) -> None:
        header = "X-HubSpot-Signature-v3"
        given, stamp = request.header(header), request.header("x-hubspot-request-timestamp")
        require(given is not None and stamp is not None, header, "missing signature or timestamp header")
        assert given is not None and stamp is not None
        require(is_timestamp(stamp), "X-HubSpot-Request-Timestamp", "not a millisecond timestamp")
        signed = f"{request.method}{request.url}".encode() + request.body + stamp.encode()
        expected = base64.b64encode(hmac.new(secret.encode(), signed, hashlib.sha256).digest()).decode()
        require(same_secret(given, expected), header, "signature does not match the request")
        fresh(int(stamp) / 1000, request.received_at, "X-HubSpot-Request-Timestamp")

    def parse(self, request: Inbound, field_map: Mapping[str, str] | None = None) -> Parsed:
        try:
            body = orjson.loads(request.body)
        except orjson.JSONDecodeError as exc:
            raise PayloadError([{"field": "(body)", "message": "not valid JSON"}]) from exc
        if not isinstance(body, dict):
            raise PayloadError([{"field": "(body)", "message": "expected the contact's properties"}])
        props = _props(body)
        object_id = text(body.get("objectId") or props.get("hs_object_id"))
        fields = LeadFields(
            email=text(props.get("email")),
            first_name=text(props.get("firstname")),
            last_name=text(props.get("lastname")),
            phone=text(props.get("phone") or props.get("mobilephone")),
            company=text(props.get("company")),
            title=text(props.get("jobtitle")),
            country=text(props.get("country")),
            utm=utm_of(props),
            extra={"hubspot_object_id": object_id, "lifecyclestage": props.get("lifecyclestage")},
        )
        if not fields.email and not fields.phone:
            raise PayloadError([{"field": "properties.email", "message": "contact has no email or phone"}])
        delivery = text(body.get("eventId")) or hashlib.sha256(request.body).hexdigest()
        return Parsed(delivery, fields=fields)
