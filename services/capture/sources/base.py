"""What every source adapter gets and returns."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

import httpx

from shared.payloads import Activity, LeadFields
from shared.secret_compare import same_secret

if TYPE_CHECKING:
    from shared.business.sources import Source

TOLERANCE_SECONDS = 300


class SignatureError(Exception):
    """Bad, missing, stale or replayed signature: answer 401 and store nothing."""

    def __init__(self, header: str, message: str) -> None:
        super().__init__(message)
        self.header = header


class PayloadError(Exception):
    """A correctly signed payload we cannot use: answer 422 naming the fields."""

    def __init__(self, fields: list[dict[str, str]]) -> None:
        super().__init__("; ".join(f"{f['field']}: {f['message']}" for f in fields))
        self.fields = fields


@dataclass(frozen=True)
class Inbound:
    """The request as the vendor sent it: the raw body is what signatures cover."""

    method: str
    url: str
    path: str
    headers: Mapping[str, str]
    query: Mapping[str, str]
    body: bytes
    received_at: datetime

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass(frozen=True)
class Parsed:
    """A lead (fields) or a behaviour event (activity, for the lead with this email), with the vendor's
    delivery id."""

    delivery_id: str
    fields: LeadFields | None = None
    activity: Activity | None = None
    activity_email: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class UpstreamUnavailable(Exception):
    """The vendor's API could not be read: answer non-2xx so the vendor delivers the notification again."""


@dataclass(frozen=True)
class Reader:
    """What an adapter may use to read a lead the notification only names (Meta, HubSpot apps)."""

    source: "Source"
    http: httpx.AsyncClient

    def token(self) -> str:
        if self.source.access_token is None:
            raise UpstreamUnavailable(f"source {self.source.id} has no access_token to read the lead with")
        return self.source.access_token.get_secret_value()


class SourceAdapter(Protocol):
    def verify(self, request: Inbound, secret: str) -> None: ...

    async def read(self, request: Inbound, reader: Reader) -> list[Parsed]:
        """The leads (or behaviour events) the verified request carries or names."""
        ...


class BodyParser:
    """An adapter whose request body holds the lead itself: reading is parsing."""

    def parse(self, request: Inbound, field_map: Mapping[str, str] | None = None) -> Parsed:
        """The lead or event in the body; form adapters map answers with the source's `field_map`."""
        raise NotImplementedError

    async def read(self, request: Inbound, reader: Reader) -> list[Parsed]:
        return [self.parse(request, reader.source.field_map)]


def require(condition: bool, header: str, message: str) -> None:
    if not condition:
        raise SignatureError(header, message)


def verify_url_token(request: Inbound, secret: str) -> None:
    """For senders that cannot sign (Unbounce, Webflow dashboard webhooks): the secret is the URL's
    ?token=, compared in constant time."""
    require(same_secret(request.query.get("token", ""), secret), "token", "missing or wrong token in the URL")


def is_timestamp(value: str | None) -> bool:
    """ASCII digits only, of a sane length: `str.isdigit` also accepts '²' and other digits int() refuses."""
    return value is not None and value.isascii() and value.isdigit() and len(value) <= 16


def fresh(timestamp: float, now: datetime, header: str) -> None:
    """Refuse a timestamp more than five minutes from now: an old request replayed."""
    require(abs(now.timestamp() - timestamp) <= TOLERANCE_SECONDS, header, "timestamp outside the 5-minute window")


def split_name(full: str | None) -> tuple[str | None, str | None]:
    if not full or not full.strip():
        return None, None
    parts = full.split()
    return (" ".join(parts[:-1]), parts[-1]) if len(parts) > 1 else (parts[0], None)


def text(value: Any) -> str | None:
    """Vendors send numbers where we expect text (a phone as 4155550134): keep them as text."""
    if value is None or value == "":
        return None
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or None
    return str(value).strip() or None


def form_lead(mapped: dict[str, Any], *, utm: dict[str, str], extra: dict[str, Any], where: str) -> LeadFields:
    """Our lead from form answers already mapped to our field names (`name` is split when the form
    has no separate first / last name). A lead needs an email or a phone: else a 422 naming `where`."""
    first, last = split_name(text(mapped.get("name")))
    fields = LeadFields(
        email=text(mapped.get("email")),
        phone=text(mapped.get("phone")),
        first_name=text(mapped.get("first_name")) or first,
        last_name=text(mapped.get("last_name")) or last,
        company=text(mapped.get("company")),
        title=text(mapped.get("title")),
        country=text(mapped.get("country")),
        notes=text(mapped.get("notes")),
        utm=utm,
        extra=extra,
    )
    if not fields.email and not fields.phone:
        raise PayloadError([{"field": where, "message": "no email or phone in the submission"}])
    return fields


def utm_of(values: dict[str, Any]) -> dict[str, str]:
    """`utm_source=x` style keys as our utm dict ({"source": "x"}), empty values dropped."""
    return {k[4:]: str(v) for k, v in values.items() if k.startswith("utm_") and v}
