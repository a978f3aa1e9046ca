"""Meta (Facebook/Instagram) Lead Ads. Meta first verifies the webhook with a GET handshake
(hub.mode=subscribe, hub.verify_token, hub.challenge), then POSTs `leadgen` changes signed with
`X-Hub-Signature-256: sha256=<hex HMAC of the body under the app secret>`. The notification carries
only ids: the lead's answers are read from the Graph API by `leadgen_id` with a page access token."""

import hashlib
import hmac
import re
from typing import Any

import httpx
import orjson

from services.capture.sources.base import (
    Inbound,
    Parsed,
    PayloadError,
    Reader,
    UpstreamUnavailable,
    require,
    split_name,
    text,
)
from shared.payloads import LeadFields
from shared.secret_compare import same_secret


class GraphUnavailable(UpstreamUnavailable):
    """The Graph API could not be read: answer non-2xx so Meta delivers the notification again."""


def handshake(query: dict[str, str], verify_token: str) -> str | None:
    """The challenge to echo back when Meta's subscription check names our verify token."""
    if query.get("hub.mode") != "subscribe":
        return None
    if not same_secret(query.get("hub.verify_token", ""), verify_token):
        return None
    return query.get("hub.challenge")


LEADGEN_ID = re.compile(r"[0-9]{1,25}")
MAX_LEADS_PER_NOTIFICATION = 50


NOTIFICATION_IDS = ("ad_id", "form_id", "page_id", "adgroup_id")


def leadgen_changes(body: bytes) -> list[dict[str, str]]:
    """The `leadgen` change values: leadgen_id plus the ad, form, page and ad group ids that only the
    webhook carries (Graph's lead read answers id, created_time and field_data unless asked for more)."""
    try:
        payload = orjson.loads(body)
        entries = payload["entry"]
    except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
        raise PayloadError([{"field": "entry", "message": "not a Meta webhook notification"}]) from exc
    try:
        changes = [
            {k: str(v) for k, v in change["value"].items() if k in ("leadgen_id", *NOTIFICATION_IDS) and v is not None}
            for entry in entries
            for change in entry.get("changes", [])
            if change.get("field") == "leadgen" and "leadgen_id" in (change.get("value") or {})
        ]
    except (AttributeError, TypeError) as exc:
        raise PayloadError([{"field": "entry", "message": "not a Meta webhook notification"}]) from exc
    if not changes:
        raise PayloadError([{"field": "entry.changes", "message": "no leadgen change with a leadgen_id"}])
    for change in changes:
        if not LEADGEN_ID.fullmatch(change["leadgen_id"]):
            raise PayloadError([{"field": "entry.changes.value.leadgen_id", "message": "not a Meta lead id (digits)"}])
    if len(changes) > MAX_LEADS_PER_NOTIFICATION:
        raise PayloadError([{"field": "entry", "message": f"more than {MAX_LEADS_PER_NOTIFICATION} leads"}])
    return changes


KNOWN = {"email", "phone_number", "full_name", "first_name", "last_name", "company_name", "job_title", "country"}


def lead_from_graph(lead: dict[str, Any], notified: dict[str, str]) -> LeadFields:
    answers = {f.get("name", ""): (f.get("values") or [None])[0] for f in lead.get("field_data", [])}
    first, last = split_name(text(answers.get("full_name")))
    extra = {k: v for k, v in answers.items() if k not in KNOWN}
    return LeadFields(
        email=text(answers.get("email")),
        phone=text(answers.get("phone_number")),
        first_name=text(answers.get("first_name")) or first,
        last_name=text(answers.get("last_name")) or last,
        company=text(answers.get("company_name")),
        title=text(answers.get("job_title")),
        country=text(answers.get("country")),
        extra={**extra, **{f"meta_{k}": v for k, v in notified.items() if k in NOTIFICATION_IDS}},
    )


def _graph_error(response: httpx.Response) -> str:
    try:
        return str(response.json()["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return f"HTTP {response.status_code}"


class MetaLeadAds:
    def verify(self, request: Inbound, secret: str) -> None:
        given = request.header("x-hub-signature-256") or ""
        require(given.startswith("sha256="), "X-Hub-Signature-256", "missing or not sha256=")
        expected = hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()
        require(same_secret(given[7:], expected), "X-Hub-Signature-256", "signature does not match the body")

    async def read(self, request: Inbound, reader: Reader) -> list[Parsed]:
        """Each leadgen id the notification names, read from the Graph API with the page token."""
        http, token = reader.http, reader.token()
        base = f"{reader.source.graph_url}/{reader.source.graph_version}"
        parsed = []
        for change in leadgen_changes(request.body):
            leadgen_id = change["leadgen_id"]
            try:
                response = await http.get(f"{base}/{leadgen_id}", headers={"Authorization": f"Bearer {token}"})
            except httpx.HTTPError as exc:
                raise GraphUnavailable(f"Graph API unreachable: {exc!r}") from exc
            if response.status_code >= 500 or response.status_code == 429:
                raise GraphUnavailable(f"Graph API answered {response.status_code}")
            if response.status_code != 200:
                error = _graph_error(response)
                raise PayloadError(
                    [{"field": "leadgen_id", "message": f"Graph API refused lead {leadgen_id}: {error}"}]
                )
            try:
                fields = lead_from_graph(response.json(), change)
            except (ValueError, TypeError, AttributeError) as exc:
                raise GraphUnavailable(f"Graph API answered something that is not a lead: {exc!r}") from exc
            if not fields.email and not fields.phone:
                raise PayloadError([{"field": "field_data", "message": f"lead {leadgen_id} has no email or phone"}])
            parsed.append(Parsed(f"leadgen:{leadgen_id}", fields=fields))
        return parsed
