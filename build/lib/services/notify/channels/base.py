"""What a channel is: where it sends for an assignment, and how."""

from datetime import datetime
from typing import Protocol

from shared.payloads import Assignment


class DeliveryError(Exception):
    """The channel refused the alert, or every retry failed: recorded as failed, then dead-lettered."""


class Channel(Protocol):
    name: str

    def target(self, assignment: Assignment) -> str | None:
        """The rep's address on this channel, if they have one."""
        ...

    async def send(self, assignment: Assignment, target: str, claim_url: str | None) -> str:
        """Send the alert; returns the provider's id for the message."""
        ...

    async def find_sent(self, assignment: Assignment, target: str, since: datetime) -> str | None:
        """After a crash mid-send: the provider's id of the alert sent since `since`, if it exists."""
        ...
