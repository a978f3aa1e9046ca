"""Typeform: `Typeform-Signature: sha256=<base64 HMAC-SHA256 of the raw body>`. Answers are mapped by
the field's ref (or title) and type; the delivery id is the form response token."""

import base64
import hashlib
import hmac
from typing import Any

import orjson

from services.capture.sources.base import BodyParser, Inbound, Parsed, PayloadError, form_lead, require, utm_of
from shared.secret_compare import same_secret

REF_HINTS = {
    "email": ("email",),
    "phone": ("phone", "mobile"),
    "first_name": ("first_name", "firstname", "first name"),
    "last_name": ("last_name", "lastname", "last name", "surname"),
    "name": ("name", "full_name", "full name"),
    "company": ("company", "organization", "organisation"),
    "title": ("title", "job", "role", "position"),
    "country": ("country",),
}
TYPE_FIELD = {"email": "email", "phone_number": "phone"}


def _answer_value(answer: dict[str, Any]) -> Any:
    kind = answer.get("type")
    if kind == "choice":
        return (answer.get("choice") or {}).get("label")
    if kind == "choices":
        return (answer.get("choices") or {}).get("labels")
    return answer.get(kind) if isinstance(kind, str) else None


def _our_field(ref: str, title: str, kind: str) -> str | None:
    if kind in TYPE_FIELD:
        return TYPE_FIELD[kind]
    for name, hints in REF_HINTS.items():
        if any(h in ref.lower() or h in title.lower() for h in hints):
            return name
    return None


class Typeform(BodyParser):
    def verify(self, request: Inbound, secret: str) -> None:
        given = request.header("typeform-signature") or ""
        require(given.startswith("sha256="), "Typeform-Signature", "missing or not sha256=")
        expected = base64.b64encode(hmac.new(secret.encode(), request.body, hashlib.sha256).digest()).decode()
        require(same_secret(given[7:], expected), "Typeform-Signature", "signature does not match the body")

    def parse(self, request: Inbound) -> Parsed:
        try:
            body = orjson.loads(request.body)
            response = body["form_response"]
            token = str(response["token"])
        except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
            raise PayloadError([{"field": "form_response", "message": "not a Typeform form_response"}]) from exc
        titles = {f.get("id"): f.get("title", "") for f in (response.get("definition") or {}).get("fields", [])}
        mapped: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        for answer in response.get("answers") or []:
            fld = answer.get("field") or {}
            ref, kind = str(fld.get("ref", "")), str(answer.get("type", ""))
            value = _answer_value(answer)
            ours = _our_field(ref, str(titles.get(fld.get("id"), "")), kind)
            if ours is not None and ours not in mapped:
                mapped[ours] = value
            else:
                extra[ref or str(fld.get("id"))] = value
        fields = form_lead(
            mapped,
            utm=utm_of(response.get("hidden") or {}),
            extra={**extra, "typeform_form_id": response.get("form_id")},
            where="answers",
        )
        return Parsed(token, fields=fields)
