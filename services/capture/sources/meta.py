"""Meta (Facebook/Instagram) Lead Ads. Meta first verifies the webhook with a GET handshake
(hub.mode=subscribe, hub.verify_token, hub.challenge), then POSTs `leadgen` changes signed with
`X-Hub-Signature-256: sha256=<hex HMAC of the body under the app secret>`. The notification carries
only ids: the lead's answers are read from the Graph API by `leadgen_id` with a page access token."""

import hashlib
import hmac
from typing import Any

import httpx
import orjson

from services.capture.sources.base import Inbound, Parsed, PayloadError, require, split_name, text
from shared.payloads import LeadFields


class GraphUnavailable(Exception):
    """The Graph API could not be read: answer non-2xx so Meta delivers the notification again."""


def handshake(query: dict[str, str], verify_token: str) -> str | None:
    """The challenge to echo back when Meta's subscription check names our verify token."""
    if query.get("hub.mode") != "subscribe":
        return None
    if not hmac.compare_digest(query.get("hub.verify_token", "").encode(), verify_token.encode()):
        return None
    return query.get("hub.challenge")


def leadgen_ids(body: bytes) -> list[str]:
    try:
        payload = orjson.loads(body)
        entries = payload["entry"]
    except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
        raise PayloadError([{"field": "entry", "message": "not a Meta webhook notification"}]) from exc
    ids = [
        str(change["value"]["leadgen_id"])
        for entry in entries
        for change in entry.get("changes", [])
        if change.get("field") == "leadgen" and "leadgen_id" in (change.get("value") or {})
    ]
    if not ids:
        raise PayloadError([{"field": "entry.changes", "message": "no leadgen change with a leadgen_id"}])
    return ids


KNOWN = {"email", "phone_number", "full_name", "first_name", "last_name", "company_name", "job_title", "country"}


def lead_from_graph(lead: dict[str, Any]) -> LeadFields:
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
        extra={**extra, "meta_form_id": lead.get("form_id"), "meta_ad_id": lead.get("ad_id")},
    )


class MetaLeadAds:
    def verify(self, request: Inbound, secret: str) -> None:
        given = request.header("x-hub-signature-256") or ""
        require(given.startswith("sha256="), "X-Hub-Signature-256", "missing or not sha256=")
        expected = hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()
        require(hmac.compare_digest(given[7:], expected), "X-Hub-Signature-256", "signature does not match the body")

    def parse(self, request: Inbound) -> Parsed:
        raise NotImplementedError("Meta leads are read from the Graph API: use fetch()")

    async def fetch(self, request: Inbound, http: httpx.AsyncClient, graph_url: str, token: str) -> list[Parsed]:
        parsed = []
        for leadgen_id in leadgen_ids(request.body):
            try:
                response = await http.get(f"{graph_url.rstrip('/')}/{leadgen_id}", params={"access_token": token})
            except httpx.HTTPError as exc:
                raise GraphUnavailable(f"Graph API unreachable: {exc!r}") from exc
            if response.status_code >= 500 or response.status_code == 429:
                raise GraphUnavailable(f"Graph API answered {response.status_code}")
            if response.status_code != 200:
                error = response.json().get("error", {}).get("message", response.status_code)
                raise PayloadError(
                    [{"field": "leadgen_id", "message": f"Graph API refused lead {leadgen_id}: {error}"}]
                )
            fields = lead_from_graph(response.json())
            if not fields.email and not fields.phone:
                raise PayloadError([{"field": "field_data", "message": f"lead {leadgen_id} has no email or phone"}])
            parsed.append(Parsed(f"leadgen:{leadgen_id}", fields=fields))
        return parsed
