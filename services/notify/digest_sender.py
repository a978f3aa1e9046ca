"""Sends and updates escalation digests. A digest row is marked as being sent (committed) before the
provider is called; a sender that dies in between leaves it marked, and the next one asks Slack's
history (message metadata names the digest) before posting it again. A Slack digest is posted once
and then updated in place (chat.update), at most every `update_seconds`; SMS and email digests go
once, when their window closes."""

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from services.notify import digest_message, digests
from services.notify.channels.base import DeliveryError
from services.notify.channels.email import SmtpEmail
from services.notify.channels.twilio import TwilioSms
from services.notify.slack_client import SlackClient
from shared.business.notifications import EscalationDigest
from shared.claim_links import make_digest_token
from shared.db import Database
from shared.polling import PollingWorker

log = logging.getLogger(__name__)
EVENT_TYPE = "leadrelay_digest"
CLOCK_SKEW_SECONDS = 60


@dataclass(frozen=True)
class DigestLinks:
    secret: str | None
    public_url: str
    """notify's public base URL: the digest page is served by notify."""
    console_url: str | None
    ttl: timedelta

    def page(self, digest: digests.Digest, now: datetime) -> str | None:
        if self.secret is None:
            return None
        token = make_digest_token(self.secret, digest.id, digest.rep_id, now, self.ttl)
        return f"{self.public_url.rstrip('/')}/v1/digests/{token}"


class DigestSender(PollingWorker):
    def __init__(
        self,
        db: Database,
        slack: SlackClient,
        sms: TwilioSms | None,
        email: SmtpEmail | None,
        links: DigestLinks,
        policy: Callable[[], EscalationDigest],
        alive_seconds: float = 15.0,
        poll_seconds: float = 0.25,
    ) -> None:
        self._db, self._slack, self._sms, self._email, self._links = db, slack, sms, email, links
        self._policy = policy
        self._alive = alive_seconds
        self.idle_seconds = poll_seconds
        super().__init__()

    async def tick(self) -> bool:
        now = datetime.now(UTC)
        async with self._db.session_scope() as session:
            due = await digests.lock_due(session, now, now - timedelta(seconds=self._alive), 20)
        if due:
            await asyncio.gather(*(self._send(d) for d in due))
        return len(due) == 20

    async def _send(self, digest: digests.Digest) -> None:
        policy = self._policy()
        async with self._db.session_scope() as session:
            contents = await digests.contents(session, digest, policy.show)
        try:
            where, message_id = await self._deliver(contents)
        except (DeliveryError, OSError) as exc:
            async with self._db.session_scope() as session:
                retry_at = datetime.now(UTC) + timedelta(seconds=5)
                again = await digests.record_failed(session, digest.id, retry_at, str(exc))
            if again:
                log.warning("digest %s on %s not sent (%s); retrying", digest.id, digest.channel, exc)
            else:
                log.error("digest %s on %s given up after repeated failures: %s", digest.id, digest.channel, exc)
            return
        async with self._db.session_scope() as session:
            await digests.record_sent(session, digest.id, where, message_id)
        log.info(
            "digest %s on %s for %s: %s", digest.id, digest.channel, digest.rep_id, digest_message.headline(contents)
        )

    async def _deliver(self, c: digests.Contents) -> tuple[str, str]:
        """(where, provider id) of the digest message after sending or updating it."""
        d = c.digest
        now = datetime.now(UTC)
        page = self._links.page(d, now)
        if d.channel == "slack":
            return await self._slack_digest(c, page)
        if d.channel == "sms" and self._sms is not None:
            return d.target, await self._sms.send_text(d.target, digest_message.sms_text(c, page))
        if d.channel == "email" and self._email is not None:
            body = digest_message.email_text(c, page, self._links.console_url)
            mid = self._email.message_id(f"digest-{d.id}")
            return d.target, await self._email.send_text(d.target, digest_message.email_subject(c), body, mid)
        raise DeliveryError(f"channel {d.channel} is not configured")

    async def _slack_digest(self, c: digests.Contents, page: str | None) -> tuple[str, str]:
        d = c.digest
        text = digest_message.headline(c)
        blocks = digest_message.slack_blocks(c, page, self._links.console_url)
        if d.message_id is None and d.in_doubt:
            found = await self._find(d)
            if found is not None:
                d = digests.Digest(**{**d.__dict__, "message_channel": found[0], "message_id": found[1]})
        if d.message_id is not None and d.message_channel is not None:
            updated = await self._slack.update_message(d.message_channel, d.message_id, text, blocks)
            return updated.channel, updated.ts
        metadata = {"event_type": EVENT_TYPE, "event_payload": {"digest_id": str(d.id)}}
        posted = await self._slack.post_message(d.target, text, blocks, metadata)
        return posted.channel, posted.ts

    async def _find(self, d: digests.Digest) -> tuple[str, str] | None:
        channel = d.target if d.target[:1] in ("C", "G", "D") else await self._slack.open_conversation(d.target)
        for message in await self._slack.history(channel, d.window_start.timestamp() - CLOCK_SKEW_SECONDS):
            meta = message.get("metadata") or {}
            if meta.get("event_type") == EVENT_TYPE and (meta.get("event_payload") or {}).get("digest_id") == str(d.id):
                return channel, str(message["ts"])
        return None
