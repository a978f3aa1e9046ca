"""HubSpot app webhooks (the Webhooks API of a public or private app): a batch of up to 100 events,
`[{"eventId", "subscriptionType": "contact.creation", "objectId", "occurredAt", ...}]`, signed with
v3 like HubSpot's workflow webhooks and carrying no properties. The contacts a batch names are read
in one CRM v3 batch read with the source's private app token. A contact.propertyChange to an outcome
stage (lifecycle stage customer: won; lead status unqualified: lost) becomes that outcome event for
predictive scoring. Other event types, and contacts HubSpot no longer has, are acknowledged and
ignored. HubSpot retries a batch answered non-2xx, so an unreachable CRM is a 502."""

from datetime import UTC, datetime
from typing import Any

import httpx
import orjson

from services.capture.sources.base import Inbound, Parsed, PayloadError, Reader, UpstreamUnavailable, text
from services.capture.sources.hubspot import HubSpot
from shared.payloads import Activity, LeadFields

PROPERTIES = [
    "email",
    "firstname",
    "lastname",
    "phone",
    "mobilephone",
    "company",
    "jobtitle",
    "country",
    "hs_analytics_source",
]
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


def _needs_contact(event: dict[str, Any]) -> bool:
    return event.get("subscriptionType") == "contact.creation" or stage_outcome(event) is not None


class HubSpotApp(HubSpot):
    async def read(self, request: Inbound, reader: Reader) -> list[Parsed]:
        batch = events(request.body)
        for i, event in enumerate(batch):
            object_id = text(event.get("objectId"))
            if _needs_contact(event) and (object_id is None or not object_id.isdigit()):
                raise PayloadError([{"field": f"[{i}].objectId", "message": "not a HubSpot object id"}])
        contacts = await self._contacts(reader, [str(e["objectId"]) for e in batch if _needs_contact(e)])
        return [self._parsed(i, event, contacts, request.received_at) for i, event in enumerate(batch)]

    def _parsed(self, i: int, event: dict[str, Any], contacts: dict[str, dict[str, Any]], now: datetime) -> Parsed:
        delivery = f"hubspot:{text(event.get('eventId')) or ''}"
        if not _needs_contact(event):
            return Parsed(delivery)
        object_id = str(event["objectId"])
        contact = contacts.get(object_id)
        if contact is None:
            return Parsed(delivery, extra={"ignored": f"HubSpot has no contact {object_id} (deleted or merged)"})
        outcome = stage_outcome(event)
        fields = contact_fields(contact)
        if outcome is not None:
            if not fields.email:
                raise PayloadError([{"field": f"[{i}].objectId", "message": f"contact {object_id} has no email"}])
            activity = Activity(
                kind=outcome,
                occurred_at=_when(event.get("occurredAt"), now),
                properties={"crm": "hubspot", "stage": event["propertyValue"]},
            )
            return Parsed(delivery, activity=activity, activity_email=fields.email)
        if not fields.email and not fields.phone:
            raise PayloadError([{"field": f"[{i}].objectId", "message": f"contact {object_id} has no email or phone"}])
        return Parsed(delivery, fields=fields)

    async def _contacts(self, reader: Reader, object_ids: list[str]) -> dict[str, dict[str, Any]]:
        """Every named contact in one batch read (HubSpot sends at most 100 events, its batch limit).
        A 207 names ids HubSpot no longer has; those events are acknowledged and ignored."""
        if not object_ids:
            return {}
        url = f"{reader.source.api_url.rstrip('/')}/crm/v3/objects/contacts/batch/read"
        body = {"properties": PROPERTIES, "inputs": [{"id": i} for i in dict.fromkeys(object_ids)]}
        try:
            response = await reader.http.post(url, json=body, headers={"Authorization": f"Bearer {reader.token()}"})
        except httpx.HTTPError as exc:
            raise UpstreamUnavailable(f"HubSpot CRM unreachable: {exc!r}") from exc
        if response.status_code not in (200, 207):
            raise UpstreamUnavailable(f"HubSpot CRM answered {response.status_code}")
        try:
            results = response.json()["results"]
            return {str(c["id"]): c for c in results}
        except (ValueError, KeyError, TypeError) as exc:
            raise UpstreamUnavailable("HubSpot CRM answered something that is not a batch read") from exc
