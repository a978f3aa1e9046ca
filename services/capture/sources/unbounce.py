"""Unbounce: a form-encoded POST whose `data.json` field holds the form as a JSON object of arrays.
Unbounce does not sign; the webhook URL carries a secret token (?token=...) instead."""

import hashlib
from typing import Any
from urllib.parse import parse_qs

import orjson

from services.capture.sources.base import BodyParser, Inbound, Parsed, PayloadError, form_lead, require, utm_of
from shared.secret_compare import same_secret


def _first(values: Any) -> Any:
    return values[0] if isinstance(values, list) and values else values


class Unbounce(BodyParser):
    def verify(self, request: Inbound, secret: str) -> None:
        given = request.query.get("token", "")
        require(same_secret(given, secret), "token", "missing or wrong token in the URL")

    def parse(self, request: Inbound) -> Parsed:
        form = {k: v[0] for k, v in parse_qs(request.body.decode(errors="replace")).items()}
        try:
            data = orjson.loads(form["data.json"])
            assert isinstance(data, dict)
        except (KeyError, orjson.JSONDecodeError, AssertionError) as exc:
            raise PayloadError([{"field": "data.json", "message": "missing or not a JSON object"}]) from exc
        values = {k.lower(): _first(v) for k, v in data.items()}
        mapped = {
            "email": values.get("email"),
            "phone": values.get("phone_number") or values.get("phone"),
            "name": values.get("name"),
            "first_name": values.get("first_name"),
            "last_name": values.get("last_name"),
            "company": values.get("company") or values.get("company_name"),
            "title": values.get("job_title") or values.get("title"),
        }
        extra = {"unbounce_page_id": form.get("page_id"), "page_url": form.get("page_url")}
        fields = form_lead(mapped, utm=utm_of(values), extra=extra, where="data.json")
        return Parsed(hashlib.sha256(request.body).hexdigest(), fields=fields)
