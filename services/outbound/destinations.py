"""Where a delivery goes. `webhook`: an HTTP POST of the Standard Webhooks envelope, signed with the
`standardwebhooks` library (webhook-id is the delivery's stable id, so a replay or a retry after a
crash carries the same id and receivers can drop the repeat); 2xx is delivered. `hubspot_list`: the
nurture hand-off, enrolling a nurtured lead's contact in a HubSpot list with the reason, and taking
it off the list once the lead is routed."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

import httpx
import orjson
from standardwebhooks.webhooks import Webhook

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
    def __init__(self, http: httpx.AsyncClient, timeout: float) -> None:
        self._http, self._timeout = http, timeout

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
            response = await self._http.post(
                delivery.subscription.url, content=body, headers=headers, timeout=self._timeout
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
