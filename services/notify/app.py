import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import timedelta

import httpx

from services.notify.channels import REGISTRY, build_channels, record_labels, unknown_channels
from services.notify.channels.base import ChannelContext
from services.notify.channels.email import SmtpEmail
from services.notify.channels.twilio import TwilioSms
from services.notify.config import NotifySettings
from services.notify.digest_page import router as digest_router
from services.notify.digest_sender import DigestLinks, DigestSender
from services.notify.dispatcher import Dispatcher, SendPolicy
from services.notify.handler import STAGE, NotifyDeps
from services.notify.interactions import router as slack_router
from services.notify.links import ClaimLinks
from services.notify.outcomes import OutcomePublisher
from services.notify.pacing import Pacer
from services.notify.record_links import router as record_router
from services.notify.slack_client import SlackClient
from services.notify.slack_desk import router as desk_router
from services.notify.slack_directory import SlackDirectory
from services.notify.twilio_status import router as twilio_router
from shared.business.loader import load_config_or_exit
from shared.http_client import provider_client
from shared.live_config import ConfigFollower, LiveConfig
from shared.runtime import StageRunner
from shared.secret_policy import refuse_weak_secrets
from shared.service import Runtime, Worker, create_app

settings = NotifySettings()
config = load_config_or_exit(settings.config)
refuse_weak_secrets(settings, config)
if not settings.development and (loopback := settings.loopback_links()):
    print(
        f"notify: {', '.join(loopback)} point at this machine; reps elsewhere cannot open those links", file=sys.stderr
    )
if unknown := unknown_channels(config):
    sys.exit(
        f"{settings.config}: channels {unknown} are not registered in services/notify/channels"
        f" (known: {', '.join(sorted(REGISTRY))})"
    )


@asynccontextmanager
async def setup(rt: Runtime) -> AsyncIterator[Sequence[Worker]]:
    async with provider_client(httpx.Timeout(10.0, connect=3.0)) as http:
        slack = SlackClient(
            http,
            settings.slack_api_url,
            settings.slack_bot_token.get_secret_value(),
            settings.slack_max_attempts,
            settings.slack_max_retry_after_s,
        )
        links = None
        if settings.claim_link_secret is not None:
            links = ClaimLinks(
                settings.claim_link_secret.get_secret_value(),
                settings.claim_base_url,
                timedelta(hours=settings.claim_link_ttl_hours),
                settings.public_url,
                record_labels(),
            )
        directory = SlackDirectory(slack)
        app.state.http, app.state.slack, app.state.background = http, slack, set()
        app.state.slack_directory = directory
        rep_ids = {
            c: frozenset(r.contacts[c] for r in config.reps if c in r.contacts) for c in ("hubspot", "salesforce")
        }
        channels = build_channels(ChannelContext(http, settings, slack, config.channel_options, rep_ids, directory))
        app.state.channels = channels
        policy = SendPolicy(
            concurrency=settings.send_concurrency,
            max_attempts=settings.delivery_max_attempts,
            retry_base_seconds=settings.delivery_retry_base_s,
        )
        dispatcher = Dispatcher(rt.db, channels, links, Pacer(settings.channel_paces), policy)
        outcomes = OutcomePublisher(rt.db, rt.producer, settings)
        dispatcher.after_record = outcomes.wake.set
        deps = NotifyDeps(rt.db, channels, dispatcher, config.notifications.escalation_digest)
        secret = settings.claim_link_secret.get_secret_value() if settings.claim_link_secret else None
        ttl = timedelta(hours=settings.claim_link_ttl_hours)
        app.state.digest_links = DigestLinks(secret, settings.public_url, settings.console_url, ttl)
        app.state.claim_links = links
        sms, email = channels.get("sms"), channels.get("email")
        digest_sender = DigestSender(
            rt.db,
            slack,
            sms if isinstance(sms, TwilioSms) else None,
            email if isinstance(email, SmtpEmail) else None,
            app.state.digest_links,
            lambda: config.notifications.escalation_digest,
        )
        follower = ConfigFollower(live, settings, rt.db, "notify")
        yield [follower, dispatcher, outcomes, digest_sender, StageRunner(STAGE, deps, settings, rt.producer)]


live = LiveConfig(config)
"""Reps' Slack ids as the published routing version says (who may press a button, whose desk)."""
app = create_app("notify", settings, setup, [slack_router, desk_router, twilio_router, digest_router, record_router])
app.state.config = config
app.state.live = live
