"""The generic JSON lead: validation and mapping to our lead fields. Pure, no I/O."""

import hashlib
import re
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from shared.payloads import LeadFields

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
MAX_EXTRA_FIELDS = 50
MAX_EXTRA_BYTES = 4000
UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")


class GenericLead(BaseModel):
    """`POST /v1/webhooks/generic` body. Email or phone is required; unknown fields are kept (at most
    50, each at most 4,000 bytes). The lead's source comes from the credential: a `source` key in the
    body is kept as an ordinary extra field."""

    model_config = ConfigDict(extra="allow", str_strip_whitespace=True)

    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=40)
    name: str | None = Field(default=None, max_length=200)
    first_name: str | None = Field(default=None, max_length=100)
    last_name: str | None = Field(default=None, max_length=100)
    company: str | None = Field(default=None, max_length=200)
    title: str | None = Field(default=None, max_length=200)
    country: str | None = Field(default=None, max_length=100)
    notes: str | None = Field(default=None, max_length=5000)

    @field_validator("phone", mode="before")
    @classmethod
    def _phone_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) else value

    @field_validator("email")
    @classmethod
    def _email_shape(cls, value: str | None) -> str | None:
        if value and not EMAIL.match(value):
            raise ValueError("not a valid email address")
        return value or None

    @field_validator("phone")
    @classmethod
    def _phone_shape(cls, value: str | None) -> str | None:
        if value and sum(c.isdigit() for c in value) < 6:
            raise ValueError("a phone number needs at least 6 digits")
        return value or None

    @model_validator(mode="after")
    def _extras_capped(self) -> "GenericLead":
        extra = self.model_extra or {}
        if len(extra) > MAX_EXTRA_FIELDS:
            raise ValueError(f"at most {MAX_EXTRA_FIELDS} fields besides the named ones")
        for key, value in extra.items():
            if len(key) > 64:
                raise ValueError(f"field name {key[:20]!r}... longer than 64 characters")
            if len(orjson.dumps(value)) > MAX_EXTRA_BYTES:
                raise ValueError(f"field {key!r} longer than {MAX_EXTRA_BYTES} bytes")
        return self

    def missing_contact(self) -> list[dict[str, str]]:
        if self.email or self.phone:
            return []
        message = "email or phone is required"
        return [{"field": "email", "message": message}, {"field": "phone", "message": message}]

    def to_fields(self) -> LeadFields:
        extra = dict(self.model_extra or {})
        utm = {k[4:]: str(extra.pop(k)) for k in list(extra) if k in UTM_KEYS and extra[k] is not None}
        return LeadFields(
            email=self.email,
            phone=self.phone,
            name=self.name,
            first_name=self.first_name,
            last_name=self.last_name,
            company=self.company,
            title=self.title,
            country=self.country,
            notes=self.notes,
            utm=utm,
            extra=extra,
        )


def body_hash(body: Any) -> str:
    """The same JSON body, whatever its key order or whitespace, has the same hash."""
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()
