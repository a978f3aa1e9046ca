"""HubSpot app webhooks (the Webhooks API of a public or private app): a batch of up to 100 events,
`[{"eventId", "subscriptionType": "contact.creation", "objectId", "occurredAt", ...}]`, signed with
v3 like HubSpot's workflow webhooks and carrying no properties. Each contact.creation names a
contact, read from the CRM v3 API with the source's private app token. A contact.propertyChange to
an outcome stage (lifecycle stage customer: won; lead status unqualified: lost) becomes that outcome
event for predictive scoring. Other event types are acknowledged and ignored. HubSpot retries a
batch answered non-2xx, so an unreachable CRM is a 502."""

from datetime import UTC, datetime
from typing import Any

import httpx
import orjson

from services.capture.sources.base import Inbound, Parsed, PayloadError, Reader, UpstreamUnavailable, text
from services.capture.sources.hubspot import HubSpot
from shared.payloads import Activity, LeadFields

PROPERTIES = "email,firstname,lastname,phone,mobilephone,company,jobtitle,country,hs_analytics_source"
MAX_EVENTS = 100


def events(body: bytes) -> list[dict[str, Any]]:
    try:
        found = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise PayloadError([{"field": "(body)", "message": "not valid JSON"}]) from exc
    if not isinstance(found, list) or not all(isinstance(e, dict) for e in found):
        raise PayloadError([{"field": "(body)", "message": "expected HubSpot's array of webhook events"}])
    if len(found) > MAX_EVENTS:
        raise PayloadError([{"field": "(body)", "message": f"at most {MAX_EVENTS} events per batch"}])
    return found


def contact_fields(contact: dict[str, Any]) -> LeadFields:
    props = contact.get("properties") or {}
    return LeadFields(
        email=text(props.get("email")),
        first_name=text(props.get("firstname")),
        last_name=text(props.get("lastname")),
        phone=text(props.get("phone") or props.get("mobilephone")),
        company=text(props.get("company")),
        title=text(props.get("jobtitle")),
        country=text(props.get("country")),
        extra={"hubspot_object_id": str(contact.get("id"))},
    )


OUTCOME_STAGES = {("lifecyclestage", "customer"): "won", ("hs_lead_status", "UNQUALIFIED"): "lost"}
"""CRM stage changes that are outcomes for predictive scoring (a contact.propertyChange subscription)."""


def stage_outcome(event: dict[str, Any]) -> str | None:
    if event.get("subscriptionType") != "contact.propertyChange":
        return None
    return OUTCOME_STAGES.get((str(event.get("propertyName")), str(event.get("propertyValue"))))


def _when(millis: Any, default: datetime) -> datetime:
    if isinstance(millis, int) and 0 < millis < 10**14:
        return datetime.fromtimestamp(millis / 1000, UTC)
    return default


class HubSpotApp(HubSpot):
    async def read(self, request: Inbound, reader: Reader) -> list[Parsed]:
        found = []
        for i, event in enumerate(events(request.body)):
            delivery = f"hubspot:{text(event.get('eventId')) or ''}"
            object_id = text(event.get("objectId"))
            outcome = stage_outcome(event)
            if event.get("subscriptionType") != "contact.creation" and outcome is None:
                found.append(Parsed(delivery))
                continue
            if object_id is None or not object_id.isdigit():
                raise PayloadError([{"field": f"[{i}].objectId", "message": "not a HubSpot object id"}])
            if outcome is not None:
                email = contact_fields(await self._contact(reader, object_id)).email
                if not email:
                    raise PayloadError([{"field": f"[{i}].objectId", "message": f"contact {object_id} has no email"}])
                at = _when(event.get("occurredAt"), request.received_at)
                activity = Activity(
                    kind=outcome, occurred_at=at, properties={"crm": "hubspot", "stage": event["propertyValue"]}
                )
                found.append(Parsed(delivery, activity=activity, activity_email=email))
                continue
            fields = contact_fields(await self._contact(reader, object_id))
            if not fields.email and not fields.phone:
                raise PayloadError(
                    [{"field": f"[{i}].objectId", "message": f"contact {object_id} has no email or phone"}]
                )
            found.append(Parsed(delivery, fields=fields))
        return found

    async def _contact(self, reader: Reader, object_id: str) -> dict[str, Any]:
        url = f"{reader.source.api_url.rstrip('/')}/crm/v3/objects/contacts/{object_id}"
        try:
            response = await reader.http.get(
                url, params={"properties": PROPERTIES}, headers={"Authorization": f"Bearer {reader.token()}"}
            )
        except httpx.HTTPError as exc:
            raise UpstreamUnavailable(f"HubSpot CRM unreachable: {exc!r}") from exc
        if response.status_code == 404:
            raise PayloadError([{"field": "objectId", "message": f"HubSpot has no contact {object_id}"}])
        if response.status_code != 200:
            raise UpstreamUnavailable(f"HubSpot CRM answered {response.status_code}")
        contact: dict[str, Any] = response.json()
        return contact
