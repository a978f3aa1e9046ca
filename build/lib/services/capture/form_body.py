"""A public form submission's body as a flat dict of text: urlencoded, multipart or JSON. Hostile input:
no files, at most MAX_FIELDS fields, no NUL characters, UTF-8 only; each refusal names the field."""

from typing import Any
from urllib.parse import parse_qsl

from fastapi import Request

from shared.http_errors import ApiError
from shared.json_body import form_values, json_object

MAX_FIELDS = 50


def _flat(body: dict[str, Any]) -> dict[str, str]:
    values: dict[str, str] = {}
    for key, value in body.items():
        if isinstance(value, dict | list):
            raise ApiError.field(422, "invalid_request", key, "expected text, not an object or a list")
        if value is not None:
            values[key] = str(value).lower() if isinstance(value, bool) else str(value)
    return values


async def form_fields(request: Request) -> tuple[dict[str, str], bool]:
    """The submitted fields, and whether this was a plain HTML form post (answered with a redirect)."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/json":
        values = _flat(json_object(await request.body()))
        html_post = False
    elif kind == "application/x-www-form-urlencoded":
        try:
            text = (await request.body()).decode("utf-8")
            pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=False, errors="strict")
        except (UnicodeDecodeError, ValueError) as exc:
            raise ApiError.field(422, "invalid_request", "(body)", "not UTF-8 form data") from exc
        values = form_values(pairs)
        html_post = True
    elif kind == "multipart/form-data":
        async with request.form(max_files=0, max_fields=MAX_FIELDS + 1) as form:
            pairs = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
        values = form_values(pairs)
        html_post = True
    else:
        raise ApiError.field(
            415, "unsupported_media_type", "Content-Type", "send application/x-www-form-urlencoded, multipart or JSON"
        )
    if len(values) > MAX_FIELDS:
        raise ApiError.field(422, "invalid_request", "(body)", f"more than {MAX_FIELDS} fields")
    return values, html_post
