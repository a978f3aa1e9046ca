"""Where a delivery goes. `webhook`: an HTTP POST of the Standard Webhooks envelope, signed with the
`standardwebhooks` library (webhook-id is the delivery's stable id, so a replay or a retry after a
crash carries the same id and receivers can drop the repeat); 2xx is delivered. `hubspot_list`: the
nurture hand-off, enrolling a nurtured lead's contact in a HubSpot list with the reason, and taking
it off the list once the lead is routed."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

import httpx
import orjson
from standardwebhooks.webhooks import Webhook

from services.outbound.address_guard import Refused, resolve_global
from services.outbound.store import Delivery
from shared.hubspot_api import HubSpotApi, HubSpotError

REASON_PROPERTY = "leadrelay_nurture_reason"


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status: int | None = None
    error: str = ""


class Destination(Protocol):
    async def deliver(self, delivery: Delivery) -> Outcome: ...


def message_id(delivery: Delivery) -> str:
    return f"msg_{delivery.event_id.hex}{delivery.subscription.id.hex[:8]}"


class WebhookDestination:
    """`guard` (on unless LEADRELAY_ALLOW_PRIVATE_URLS in development): each delivery goes only to a
    global address, resolved now and pinned for the request (see address_guard); no redirect is
    followed, so a receiver cannot bounce the request to an internal address either."""

    def __init__(self, http: httpx.AsyncClient, timeout: float, guard: bool = True) -> None:
        self._http, self._timeout, self._guard = http, timeout, guard

    async def _target(self, url: str) -> tuple[str, dict[str, str], dict[str, Any], httpx.BasicAuth | None]:
        """(URL to send to, extra headers, request extensions, auth): the URL with its host pinned to
        the address just checked, the Host header and TLS server name still the original host."""
        parts = urlsplit(url)
        host = parts.hostname or ""
        auth = httpx.BasicAuth(parts.username, parts.password or "") if parts.username else None
        if not self._guard:
            return url, {}, {}, auth
        port = parts.port or (443 if parts.scheme == "https" else 80)
        address = await resolve_global(host, port)
        pinned = f"[{address}]" if ":" in address else address
        target = urlunsplit((parts.scheme, f"{pinned}:{port}", parts.path, parts.query, ""))
        host_header = parts.netloc.rsplit("@", 1)[-1]
        extensions: dict[str, Any] = {"sni_hostname": host} if parts.scheme == "https" else {}
        return target, {"host": host_header}, extensions, auth

    async def deliver(self, delivery: Delivery) -> Outcome:
        body = orjson.dumps(delivery.payload).decode()
        msg_id, now = message_id(delivery), datetime.now(UTC)
        signature = Webhook(delivery.subscription.secret).sign(msg_id, now, body)
        headers = {
            "content-type": "application/json",
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": signature,
            "user-agent": "leadrelay-outbound",
        }
        try:
            target, extra, extensions, auth = await self._target(delivery.subscription.url)
        except Refused as exc:
            return Outcome(False, None, f"refused: {exc}")
        try:
            response = await self._http.post(
                target,
                content=body,
                headers={**headers, **extra},
                timeout=self._timeout,
                extensions=extensions,
                auth=auth or httpx.USE_CLIENT_DEFAULT,
                follow_redirects=False,
            )
        except httpx.HTTPError as exc:
            return Outcome(False, None, f"connection error: {type(exc).__name__}")
        if 200 <= response.status_code < 300:
            return Outcome(True, response.status_code)
        return Outcome(False, response.status_code, f"HTTP {response.status_code}")


class HubSpotListDestination:
    """subscription.url holds the list id; nurtured adds (with the reason), assigned / escalated remove."""

    def __init__(self, api: HubSpotApi | None) -> None:
        self._api = api

    async def deliver(self, delivery: Delivery) -> Outcome:
        if self._api is None:
            return Outcome(False, None, "LEADRELAY_HUBSPOT_TOKEN is not set")
        data = delivery.payload.get("data") or {}
        email = _email(data)
        if not email:
            return Outcome(True, None, "the lead has no email: nothing to enrol")
        list_id = delivery.subscription.url
        try:
            if delivery.event_type == "nurtured":
                reason = str(data.get("reason", ""))[:500]
                contact = await self._api.upsert_contact(
                    email, {"email": email, REASON_PROPERTY: reason}, {REASON_PROPERTY: reason}
                )
                await self._api.list_membership(list_id, "add", contact)
            else:
                found = await self._api.find_contact(email, [])
                if found is not None:
                    await self._api.list_membership(list_id, "remove", str(found["id"]))
        except HubSpotError as exc:
            return Outcome(False, None, str(exc))
        return Outcome(True, 200)


def _email(data: dict[str, object]) -> str | None:
    """The lead's email in a nurtured event (the nurture payload has none: the sender adds it) or an
    assignment."""
    lead = data.get("lead")
    if isinstance(lead, dict) and isinstance(lead.get("email"), str):
        return str(lead["email"])
    email = data.get("email")
    return email if isinstance(email, str) else None
