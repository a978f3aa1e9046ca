"""The channel registry. A channel is one file in this package: a class with `name`, `target`,
`send` and `find_sent` (see base.Channel) and a `build(ctx)` that returns it, or None when its
settings are not given; plus one line in `REGISTRY`. Reps name channels in `channels:` and give
their address on each in `contacts:` (slack, email and phone have their own fields)."""

from collections.abc import Callable

from services.notify.channels import email, hubspot, salesforce, slack, twilio
from services.notify.channels.base import Channel, ChannelContext
from shared.business.loader import BusinessConfig

Build = Callable[[ChannelContext], Channel | None]

REGISTRY: dict[str, Build] = {
    "slack": slack.build,
    "sms": twilio.build,
    "email": email.build,
    "hubspot": hubspot.build,
    "salesforce": salesforce.build,
}


def build_channels(ctx: ChannelContext) -> dict[str, Channel]:
    """Every registered channel whose settings are given."""
    return {name: channel for name, build in REGISTRY.items() if (channel := build(ctx)) is not None}


def unknown_channels(config: BusinessConfig) -> list[str]:
    """Channel names the config uses that no file registers."""
    used = {c for rep in config.reps for c in rep.channels or []}
    used |= {c for pool in config.pools for c in pool.escalation_channels or []}
    return sorted(used - set(REGISTRY))
