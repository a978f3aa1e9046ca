"""Reps: where to alert them, when they work, and how many leads they may take."""

from datetime import date, time
from itertools import pairwise
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from shared.business.base import Strict

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class WorkingHours(Strict):
    days: list[Weekday] = Field(default_factory=lambda: list(WEEKDAYS[:5]))
    start: time = time(9, 0)
    end: time = time(17, 0)


class DateRange(Strict):
    from_: date = Field(alias="from")
    to: date


class Caps(Strict):
    day: int | None = Field(default=None, ge=0)
    week: int | None = Field(default=None, ge=0)
    month: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _nested(self) -> "Caps":
        """A day is inside its week and a week inside its month: a larger cap for the shorter period
        overlaps the longer one's and could never be reached."""
        given = [(p, getattr(self, p)) for p in ("day", "week", "month") if getattr(self, p) is not None]
        for (short, a), (long, b) in pairwise(given):
            if a > b:
                raise ValueError(f"the {short} cap ({a}) exceeds the {long} cap ({b})")
        return self


Channel = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
"""A channel registered in notify (services/notify/channels): slack, sms, email, hubspot, salesforce, or
one of your own; notify refuses to start with a name it does not know."""


SLACK_BY_EMAIL = "by_email"


class Rep(Strict):
    id: str
    name: str
    slack: str | None = Field(
        default=None,
        description="The rep's Slack member id (U.../W...), or `by_email` to look it up from `email` with "
        "users.lookupByEmail.",
    )
    email: str | None = None
    phone: str | None = None
    contacts: dict[Channel, str] = Field(
        default_factory=dict,
        description="The rep's address on other channels, e.g. {hubspot: <owner id>, salesforce: <user id>}.",
    )
    channels: list[Channel] | None = Field(default=None, description="Where alerts go (default: Slack if set).")
    timezone: str = "UTC"
    active: bool = True
    working_hours: WorkingHours | None = None
    out_of_office: list[DateRange] = Field(default_factory=list)
    region: str | None = Field(
        default=None, pattern=r"^[A-Za-z0-9_-]{1,40}$", description="Whose public holidays apply (a key of `holidays`)."
    )
    caps: Caps = Caps()

    @property
    def targets(self) -> dict[str, str | None]:
        return {**self.contacts, "slack": self.slack, "sms": self.phone, "email": self.email}

    @property
    def alert_channels(self) -> list[str]:
        if self.channels is not None:
            return list(self.channels)
        return next(([c] for c in ("slack", "email", "sms") if self.targets[c]), [])

    @model_validator(mode="after")
    def _slack_by_email(self) -> "Rep":
        if self.slack == SLACK_BY_EMAIL and not self.email:
            raise ValueError(f"rep {self.id!r} has slack: by_email but no email to look the member up by")
        return self

    @model_validator(mode="after")
    def _reachable(self) -> "Rep":
        missing = [c for c in self.channels or [] if not self.targets.get(c)]
        if missing:
            raise ValueError(f"rep {self.id!r} wants {missing} but has no {', '.join(missing)} address")
        return self

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value
