"""Slack alerts: chat.postMessage with Block Kit and the Claim button, tagged with message metadata
naming the assignment, so that after a crash mid-send the conversation history tells whether the
alert already went out."""

from datetime import datetime

from services.notify.channels.base import ChannelContext, DeliveryError
from services.notify.message import alert_blocks, alert_text, plain_fallback
from services.notify.slack_client import SlackClient
from services.notify.slack_directory import EMAIL_TARGET, SlackDirectory
from shared.business.reps import SLACK_BY_EMAIL
from shared.payloads import Assignment

EVENT_TYPE = "leadrelay_alert"
CLOCK_SKEW_SECONDS = 60


class SlackChannel:
    name = "slack"

    def __init__(self, client: SlackClient, directory: SlackDirectory | None = None) -> None:
        self._client = client
        self._directory = directory or SlackDirectory(client)

    def target(self, assignment: Assignment) -> str | None:
        rep = assignment.rep
        if rep.slack == SLACK_BY_EMAIL:
            return f"{EMAIL_TARGET}{rep.email}" if rep.email else None
        return rep.slack

    async def _member(self, target: str) -> str:
        found = await self._directory.resolve(target)
        if found is None:
            raise DeliveryError(f"no Slack member has the email {target.removeprefix(EMAIL_TARGET)}")
        return found

    async def send(self, assignment: Assignment, target: str, claim_url: str | None) -> str:
        metadata = {"event_type": EVENT_TYPE, "event_payload": {"assignment_id": str(assignment.assignment_id)}}
        posted = await self._client.post_message(
            await self._member(target),
            plain_fallback(alert_text(assignment)),
            alert_blocks(assignment, claim_url),
            metadata,
        )
        return posted.ts

    async def find_sent(self, assignment: Assignment, target: str, since: datetime) -> str | None:
        target = await self._member(target)
        channel = target if target[:1] in ("C", "G", "D") else await self._client.open_conversation(target)
        wanted = str(assignment.assignment_id)
        for message in await self._client.history(channel, since.timestamp() - CLOCK_SKEW_SECONDS):
            meta = message.get("metadata") or {}
            if (
                meta.get("event_type") == EVENT_TYPE
                and (meta.get("event_payload") or {}).get("assignment_id") == wanted
            ):
                return str(message["ts"])
        return None


def build(ctx: ChannelContext) -> SlackChannel:
    return SlackChannel(ctx.slack, ctx.slack_directory)
