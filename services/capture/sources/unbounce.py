"""Unbounce: a form-encoded POST whose `data.json` field holds the form as a JSON object of arrays.
Unbounce does not sign; the webhook URL carries a secret token (?token=...) instead."""

import hashlib
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs

import orjson

from services.capture.sources.base import BodyParser, Inbound, Parsed, PayloadError, form_lead, utm_of, verify_url_token
from services.capture.sources.field_map import Answers


def _first(values: Any) -> Any:
    return values[0] if isinstance(values, list) and values else values


SYSTEM_FIELDS = {"ip_address", "page_uuid", "page_name", "page_url", "variant", "time_submitted", "date_submitted"}


class Unbounce(BodyParser):
    def verify(self, request: Inbound, secret: str) -> None:
        verify_url_token(request, secret)

    def parse(self, request: Inbound, field_map: Mapping[str, str] | None = None) -> Parsed:
        form = {k: v[0] for k, v in parse_qs(request.body.decode(errors="replace")).items()}
        try:
            data = orjson.loads(form["data.json"])
            assert isinstance(data, dict)
        except (KeyError, orjson.JSONDecodeError, AssertionError) as exc:
            raise PayloadError([{"field": "data.json", "message": "missing or not a JSON object"}]) from exc
        values = {k.lower(): _first(v) for k, v in data.items()}
        answers = Answers(field_map or {})
        for key, value in data.items():
            if key.lower() not in SYSTEM_FIELDS and not key.lower().startswith("utm_"):
                answers.add((key,), _first(value), key=key)
        mapped, rest = answers.mapped()
        extra = {**rest, "unbounce_page_id": form.get("page_id"), "page_url": form.get("page_url")}
        fields = form_lead(mapped, utm=utm_of(values), extra=extra, where="data.json")
        return Parsed(hashlib.sha256(request.body).hexdigest(), fields=fields)
