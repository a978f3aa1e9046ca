"""The channel registry. A channel is one file in this package: a class with `name`, `target`,
`send` and `find_sent` (see base.Channel) and a `build(ctx)` that returns it, or None when its
settings are not given; plus one line in `REGISTRY`. Reps name channels in `channels:` and give
their address on each in `contacts:` (slack, email and phone have their own fields)."""

from collections.abc import Callable
from dataclasses import dataclass

from services.notify.channels import email, hubspot, salesforce, slack, twilio
from services.notify.channels.base import Channel, ChannelContext
from shared.business.loader import BusinessConfig

Build = Callable[[ChannelContext], Channel | None]


@dataclass(frozen=True)
class Registered:
    build: Build
    record: str | None = None
    """A record-keeping channel (a CRM write-back) names itself here: not an alert, so not speed to
    lead, and the alerts link to the record it wrote."""


REGISTRY: dict[str, Registered] = {
    "slack": Registered(slack.build),
    "sms": Registered(twilio.build),
    "email": Registered(email.build),
    "hubspot": Registered(hubspot.build, record="HubSpot"),
    "salesforce": Registered(salesforce.build, record="Salesforce"),
}


def build_channels(ctx: ChannelContext) -> dict[str, Channel]:
    """Every registered channel whose settings are given."""
    return {name: channel for name, r in REGISTRY.items() if (channel := r.build(ctx)) is not None}


def is_alert(name: str) -> bool:
    registered = REGISTRY.get(name)
    return registered is None or registered.record is None


def record_labels() -> dict[str, str]:
    return {name: r.record for name, r in REGISTRY.items() if r.record is not None}


def unknown_channels(config: BusinessConfig) -> list[str]:
    """Channel names the config uses that no file registers."""
    used = {c for rep in config.reps for c in rep.channels or []}
    used |= {c for pool in config.pools for c in pool.escalation_channels or []}
    return sorted(used - set(REGISTRY))
