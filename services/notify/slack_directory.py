"""Reps' Slack member ids resolved from their email, so ops need not copy ids by hand: a rep with
`slack: by_email` is looked up with users.lookupByEmail, and a button pressed by a member is traced
back to the rep with users.info. Answers are cached (an hour; a miss for five minutes), which keeps
well inside Slack's Tier 3/4 rate limits."""

import time
from collections.abc import Awaitable, Callable

from services.notify.slack_client import SlackClient

HIT_SECONDS = 3600.0
MISS_SECONDS = 300.0
EMAIL_TARGET = "email:"
"""A Slack delivery's target for a rep resolved by email: `email:<address>` until it is sent."""


class Cache:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._found: dict[str, tuple[str | None, float]] = {}

    async def get(self, key: str, load: Callable[[], Awaitable[str | None]]) -> str | None:
        now = self._clock()
        cached = self._found.get(key)
        if cached is not None and cached[1] > now:
            return cached[0]
        value = await load()
        self._found[key] = (value, now + (HIT_SECONDS if value is not None else MISS_SECONDS))
        return value


class SlackDirectory:
    def __init__(self, client: SlackClient, clock: Callable[[], float] = time.monotonic) -> None:
        self._client = client
        self._ids = Cache(clock)
        self._emails = Cache(clock)

    async def member_id(self, email: str) -> str | None:
        address = email.strip().lower()
        return await self._ids.get(address, lambda: self._client.lookup_by_email(address))

    async def email_of(self, member_id: str) -> str | None:
        return await self._emails.get(member_id, lambda: self._client.email_of(member_id))

    async def resolve(self, target: str) -> str | None:
        """A delivery target as a conversation Slack accepts: member and channel ids as they are,
        `email:<address>` looked up."""
        if not target.startswith(EMAIL_TARGET):
            return target
        return await self.member_id(target.removeprefix(EMAIL_TARGET))
