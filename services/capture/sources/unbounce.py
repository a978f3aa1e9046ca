"""Unbounce: a form-encoded POST whose `data.json` field holds the form as a JSON object of arrays.
Unbounce does not sign; the webhook URL carries a secret token (?token=...) instead."""

import hashlib
import hmac
from typing import Any
from urllib.parse import parse_qs

import orjson

from services.capture.sources.base import Inbound, Parsed, PayloadError, require, split_name, text
from shared.payloads import LeadFields


def _first(values: Any) -> Any:
    return values[0] if isinstance(values, list) and values else values


class Unbounce:
    def verify(self, request: Inbound, secret: str) -> None:
        given = request.query.get("token", "")
        require(hmac.compare_digest(given.encode(), secret.encode()), "token", "missing or wrong token in the URL")

    def parse(self, request: Inbound) -> Parsed:
        form = {k: v[0] for k, v in parse_qs(request.body.decode(errors="replace")).items()}
        try:
            data = orjson.loads(form["data.json"])
            assert isinstance(data, dict)
        except (KeyError, orjson.JSONDecodeError, AssertionError) as exc:
            raise PayloadError([{"field": "data.json", "message": "missing or not a JSON object"}]) from exc
        values = {k.lower(): _first(v) for k, v in data.items()}
        first, last = split_name(text(values.get("name")))
        fields = LeadFields(
            email=text(values.get("email")),
            phone=text(values.get("phone_number") or values.get("phone")),
            first_name=text(values.get("first_name")) or first,
            last_name=text(values.get("last_name")) or last,
            company=text(values.get("company") or values.get("company_name")),
            title=text(values.get("job_title") or values.get("title")),
            utm={k[4:]: str(v) for k, v in values.items() if k.startswith("utm_") and v},
            extra={"unbounce_page_id": form.get("page_id"), "page_url": form.get("page_url")},
        )
        if not fields.email and not fields.phone:
            raise PayloadError([{"field": "data.json", "message": "no email or phone in the submission"}])
        return Parsed(hashlib.sha256(request.body).hexdigest(), fields=fields)
