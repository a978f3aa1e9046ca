"""What a channel is: where it sends for an assignment, and how; and what building one gets."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

import httpx

from services.notify.delivery_error import DeliveryError as DeliveryError
from shared.payloads import Assignment

if TYPE_CHECKING:
    from services.notify.config import NotifySettings
    from services.notify.slack_client import SlackClient
    from services.notify.slack_directory import SlackDirectory


@dataclass(frozen=True)
class Sent:
    """A send's result with a note for the trace (which owner policy a CRM write-back applied)."""

    external_id: str
    note: str | None = None


class Channel(Protocol):
    name: str

    def target(self, assignment: Assignment) -> str | None:
        """The rep's address on this channel, if they have one."""
        ...

    async def send(self, assignment: Assignment, target: str, claim_url: str | None) -> str | Sent:
        """Send the alert; returns the provider's id for the message (with a note, if it has one)."""
        ...

    async def find_sent(self, assignment: Assignment, target: str, since: datetime) -> str | None:
        """After a crash mid-send: the provider's id of the alert sent since `since`, if it exists."""
        ...


class RecordChannel(Channel, Protocol):
    async def record_url(self, external_id: str) -> str | None:
        """Where a person sees the record the write-back made (None: no link can be given)."""
        ...


@dataclass(frozen=True)
class ChannelContext:
    """What a channel's `build` may use: notify's HTTP client, settings and Slack client."""

    http: httpx.AsyncClient
    settings: "NotifySettings"
    slack: "SlackClient"
    options: dict[str, dict[str, Any]] = field(default_factory=dict)
    """The business config's channel_options, by channel name."""
    rep_ids: dict[str, frozenset[str]] = field(default_factory=dict)
    slack_directory: "SlackDirectory | None" = None
    """Channel -> every routed rep's address on it (a CRM's owner ids), from the business config."""
