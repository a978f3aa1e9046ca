"""A lead must fit in one broker message. Refused at intake (422 naming the largest field) rather
than accepted and then stuck in the outbox. Pure."""

from typing import Any
from uuid import uuid4

import orjson

from shared.events import EnvelopeBase, LeadActivityEvent, new_event, serialize_event
from shared.http_errors import ApiError
from shared.payloads import Activity


def _largest(data: Any, path: str = "") -> tuple[str, int]:
    if isinstance(data, dict) and data:
        return max((_largest(v, f"{path}.{k}" if path else str(k)) for k, v in data.items()), key=lambda t: t[1])
    return path or "(body)", len(orjson.dumps(data))


def refuse_oversized(event: EnvelopeBase, payload: bytes, limit: int) -> None:
    if len(payload) <= limit:
        return
    fields = event.model_dump(mode="json")["data"].get("fields") or event.model_dump(mode="json")["data"]
    where, size = _largest(fields)
    raise ApiError.field(
        422, "too_large", where, f"the lead is {len(payload)} bytes, over the {limit}-byte message limit ({size} here)"
    )


def activity_too_large(activity: Activity, limit: int) -> list[dict[str, str]] | None:
    """The field errors for a behaviour event whose lead.activity message would exceed the limit (the
    batch endpoint's body cap is larger than one message), else None."""
    event = new_event(LeadActivityEvent, lead_id=uuid4(), producer="capture@events", data=activity)
    try:
        refuse_oversized(event, serialize_event(event), limit)
    except ApiError as exc:
        return list(exc.fields)
    return None
