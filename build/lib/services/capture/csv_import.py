"""CSV lead lists (a trade-show export, a webinar attendee list): header names mapped to our fields,
each row validated like a webhook lead. Pure: parsing and per-row errors; the API stores the rows."""

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from services.capture.intake import GenericLead
from shared.http_errors import field_errors
from shared.payloads import LeadFields

ALIASES = {
    "e-mail": "email",
    "email_address": "email",
    "work_email": "email",
    "phone_number": "phone",
    "mobile": "phone",
    "telephone": "phone",
    "full_name": "name",
    "firstname": "first_name",
    "lastname": "last_name",
    "surname": "last_name",
    "company_name": "company",
    "organization": "company",
    "organisation": "company",
    "account": "company",
    "job_title": "title",
    "position": "title",
    "role": "title",
    "comments": "notes",
    "message": "notes",
}


def column(header: str) -> str:
    key = header.strip().lower().replace(" ", "_").replace("-", "_")
    return ALIASES.get(key, ALIASES.get(header.strip().lower(), key))


@dataclass(frozen=True)
class Row:
    number: int
    fields: LeadFields | None
    errors: list[dict[str, str]]


def read_rows(text: str) -> Iterator[Row]:
    """Rows one at a time, numbered as a spreadsheet shows them: the header is row 1, the first lead
    row 2. Blank rows are skipped."""
    reader = csv.reader(io.StringIO(text))
    try:
        headers = [column(h) for h in next(reader)]
    except StopIteration:
        return
    for number, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue
        record: dict[str, Any] = {h: v.strip() for h, v in zip(headers, values, strict=False) if h and v.strip()}
        try:
            lead = GenericLead.model_validate(record)
        except ValidationError as exc:
            yield Row(number, None, field_errors(exc.errors()))
            continue
        if missing := lead.missing_contact():
            yield Row(number, None, missing)
            continue
        yield Row(number, lead.to_fields(), [])


def parse_csv(text: str) -> list[Row]:
    return list(read_rows(text))
