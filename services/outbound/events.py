"""Which of leadrelay's events a subscriber can have, and what it receives: the Standard Webhooks
envelope {"type", "timestamp", "data"}. Pure."""

from typing import Any

from shared.events import (
    Event,
    LeadAcknowledgedEvent,
    LeadAssignedEvent,
    LeadCapturedEvent,
    LeadNurtureEvent,
    LeadScoredEvent,
)

TYPES = ("captured", "scored", "assigned", "claimed", "nurtured", "escalated")


def outbound_type(event: Event) -> str | None:
    if isinstance(event, LeadCapturedEvent):
        return "captured"
    if isinstance(event, LeadScoredEvent):
        return "scored"
    if isinstance(event, LeadAssignedEvent):
        return "escalated" if event.data.outcome == "escalated" else "assigned"
    if isinstance(event, LeadAcknowledgedEvent):
        return "claimed"
    if isinstance(event, LeadNurtureEvent):
        return "nurtured"
    return None


def envelope(event: Event, kind: str) -> dict[str, Any]:
    return {
        "type": f"lead.{kind}",
        "timestamp": event.occurred_at.isoformat(),
        "data": {
            **event.data.model_dump(mode="json"),
            "event_id": str(event.event_id),
            "lead_id": str(event.lead_id),
            "correlation_id": str(event.correlation_id),
        },
    }
