"""Slack Web API client for chat.postMessage, with Slack's retry rules: 429 honours Retry-After,
5xx and connection errors back off exponentially, `ok: false` errors are final."""

import logging
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from services.notify.delivery_error import DeliveryError
from shared.backoff import Backoff, retry_after_seconds

log = logging.getLogger(__name__)
JSON = {"Content-Type": "application/json; charset=utf-8"}  # Slack's documented JSON body type


class SlackError(DeliveryError):
    """Slack refused the message (`ok: false`) or every attempt failed."""


@dataclass(frozen=True)
class Posted:
    channel: str
    ts: str


def posted(body: dict[str, Any]) -> Posted:
    return Posted(channel=str(body["channel"]), ts=str(body["ts"]))


class SlackClient:
    def __init__(
        self, http: httpx.AsyncClient, base_url: str, token: str, max_attempts: int, max_retry_after: float
    ) -> None:
        self._http = http
        self._base = base_url.rstrip("/")
        self._token = token
        self._max_attempts = max_attempts
        self._max_retry_after = max_retry_after

    async def post_message(
        self, channel: str, text: str, blocks: list[dict[str, Any]], metadata: dict[str, Any] | None = None
    ) -> Posted:
        payload: dict[str, Any] = {"channel": channel, "text": text, "blocks": blocks, "unfurl_links": False}
        if metadata is not None:
            payload["metadata"] = metadata
        return posted(await self._call("chat.postMessage", payload))

    async def open_conversation(self, user: str) -> str:
        """The direct-message channel id for a user id (history needs the channel, not the user)."""
        body = await self._call("conversations.open", {"users": user}, form=True)
        return str(body["channel"]["id"])

    async def history(self, channel: str, oldest: float) -> list[dict[str, Any]]:
        body = await self._call(
            "conversations.history",
            {"channel": channel, "oldest": f"{oldest:.6f}", "include_all_metadata": "true", "limit": "200"},
            form=True,
        )
        return list(body.get("messages", []))

    async def lookup_by_email(self, email: str) -> str | None:
        """The member id of the workspace user with this email (users.lookupByEmail, scope
        users:read.email); None when Slack has no such user."""
        try:
            body = await self._call("users.lookupByEmail", {"email": email}, form=True)
        except SlackError as exc:
            if "users_not_found" in str(exc):
                return None
            raise
        return str(body["user"]["id"])

    async def email_of(self, user: str) -> str | None:
        """A member's email (users.info; the email needs users:read.email)."""
        try:
            body = await self._call("users.info", {"user": user}, form=True)
        except SlackError as exc:
            if "user_not_found" in str(exc):
                return None
            raise
        email = ((body.get("user") or {}).get("profile") or {}).get("email")
        return str(email) if email else None

    async def post_ephemeral(self, channel: str, user: str, text: str) -> None:
        """A reply only `user` sees, in `channel` (chat.postEphemeral)."""
        await self._call("chat.postEphemeral", {"channel": channel, "user": user, "text": text})

    async def publish_home(self, user: str, blocks: list[dict[str, Any]]) -> None:
        """The user's App Home tab (views.publish, no scope needed; Home tab enabled in the manifest)."""
        await self._call("views.publish", {"user_id": user, "view": {"type": "home", "blocks": blocks}})

    async def update_message(self, channel: str, ts: str, text: str, blocks: list[dict[str, Any]]) -> Posted:
        return posted(await self._call("chat.update", {"channel": channel, "ts": ts, "text": text, "blocks": blocks}))

    async def _call(self, method: str, payload: dict[str, Any], form: bool = False) -> dict[str, Any]:
        url = f"{self._base}/{method}"
        headers = {"Authorization": f"Bearer {self._token}"}
        last_error = "no attempt made"
        backoff = Backoff("slack_api")
        for _ in range(self._max_attempts):
            try:
                if form:
                    response = await self._http.post(url, data=payload, headers=headers)
                else:
                    body = orjson.dumps(payload)
                    response = await self._http.post(url, content=body, headers={**headers, **JSON})
            except httpx.TransportError as exc:
                last_error = f"connection error: {exc!r}"
                await backoff.wait()
                continue
            if response.status_code == 429:
                wait = min(retry_after_seconds(response.headers.get("Retry-After")), self._max_retry_after)
                last_error = f"rate limited (Retry-After {wait}s)"
                log.warning("slack rate limited; waiting %.1fs", wait)
                await backoff.wait(retry_after=wait)
                continue
            if response.status_code >= 500:
                last_error = f"HTTP {response.status_code}"
                await backoff.wait()
                continue
            body = response.json()
            if not body.get("ok"):
                raise SlackError(f"slack refused {method}: {body.get('error', response.status_code)}")
            return dict(body)
        raise SlackError(f"{method} failed after {self._max_attempts} attempts: {last_error}")
