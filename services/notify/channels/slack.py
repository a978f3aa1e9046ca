"""Slack alerts: chat.postMessage with Block Kit and the Claim button."""

from services.notify.message import alert_blocks, alert_text
from services.notify.slack_client import SlackClient
from shared.payloads import Assignment


class SlackChannel:
    name = "slack"

    def __init__(self, client: SlackClient) -> None:
        self._client = client

    def target(self, assignment: Assignment) -> str | None:
        return assignment.rep.slack

    async def send(self, assignment: Assignment, target: str, claim_url: str | None) -> str:
        posted = await self._client.post_message(target, alert_text(assignment), alert_blocks(assignment, claim_url))
        return posted.ts
