"""Typeform: `Typeform-Signature: sha256=<base64 HMAC-SHA256 of the raw body>`. Answers are mapped by
the source's field_map (ref or question title), else by type and title; the delivery id is the form
response token."""

import base64
import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

import orjson

from services.capture.sources.base import BodyParser, Inbound, Parsed, PayloadError, form_lead, require, utm_of
from services.capture.sources.field_map import Answers
from shared.secret_compare import same_secret

TYPE_FIELD = {"email": "email", "phone_number": "phone"}


def _answer_value(answer: dict[str, Any]) -> Any:
    kind = answer.get("type")
    if kind == "choice":
        return (answer.get("choice") or {}).get("label")
    if kind == "choices":
        return (answer.get("choices") or {}).get("labels")
    return answer.get(kind) if isinstance(kind, str) else None


class Typeform(BodyParser):
    def verify(self, request: Inbound, secret: str) -> None:
        given = request.header("typeform-signature") or ""
        require(given.startswith("sha256="), "Typeform-Signature", "missing or not sha256=")
        expected = base64.b64encode(hmac.new(secret.encode(), request.body, hashlib.sha256).digest()).decode()
        require(same_secret(given[7:], expected), "Typeform-Signature", "signature does not match the body")

    def parse(self, request: Inbound, field_map: Mapping[str, str] | None = None) -> Parsed:
        try:
            body = orjson.loads(request.body)
            response = body["form_response"]
            token = str(response["token"])
        except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
            raise PayloadError([{"field": "form_response", "message": "not a Typeform form_response"}]) from exc
        titles = {f.get("id"): f.get("title", "") for f in (response.get("definition") or {}).get("fields", [])}
        answers = Answers(field_map or {})
        for answer in response.get("answers") or []:
            fld = answer.get("field") or {}
            ref, kind = str(fld.get("ref", "")), str(answer.get("type", ""))
            answers.add(
                (ref, str(titles.get(fld.get("id"), ""))),
                _answer_value(answer),
                key=ref or str(fld.get("id")),
                hint=TYPE_FIELD.get(kind),
            )
        mapped, extra = answers.mapped()
        fields = form_lead(
            mapped,
            utm=utm_of(response.get("hidden") or {}),
            extra={**extra, "typeform_form_id": response.get("form_id")},
            where="answers",
        )
        return Parsed(token, fields=fields)
