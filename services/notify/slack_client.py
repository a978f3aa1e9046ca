"""Slack Web API client for chat.postMessage, with Slack's retry rules: 429 honours Retry-After,
5xx and connection errors back off exponentially, `ok: false` errors are final."""

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

import httpx

from services.notify.channels.base import DeliveryError

log = logging.getLogger(__name__)


class SlackError(DeliveryError):
    """Slack refused the message (`ok: false`) or every attempt failed."""


@dataclass(frozen=True)
class Posted:
    channel: str
    ts: str


class SlackClient:
    def __init__(
        self, http: httpx.AsyncClient, base_url: str, token: str, max_attempts: int, max_retry_after: float
    ) -> None:
        self._http = http
        self._base = base_url.rstrip("/")
        self._token = token
        self._max_attempts = max_attempts
        self._max_retry_after = max_retry_after

    async def post_message(self, channel: str, text: str, blocks: list[dict[str, Any]]) -> Posted:
        payload = {"channel": channel, "text": text, "blocks": blocks, "unfurl_links": False}
        return await self._call("chat.postMessage", payload)

    async def update_message(self, channel: str, ts: str, text: str, blocks: list[dict[str, Any]]) -> Posted:
        return await self._call("chat.update", {"channel": channel, "ts": ts, "text": text, "blocks": blocks})

    async def _call(self, method: str, payload: dict[str, Any]) -> Posted:
        url = f"{self._base}/{method}"
        headers = {"Authorization": f"Bearer {self._token}"}
        last_error = "no attempt made"
        for attempt in range(1, self._max_attempts + 1):
            try:
                response = await self._http.post(url, json=payload, headers=headers)
            except httpx.TransportError as exc:
                last_error = f"connection error: {exc!r}"
                await asyncio.sleep(self._backoff(attempt))
                continue
            if response.status_code == 429:
                wait = min(float(response.headers.get("Retry-After", "1")), self._max_retry_after)
                last_error = f"rate limited (Retry-After {wait}s)"
                log.warning("slack rate limited; waiting %.1fs", wait)
                await asyncio.sleep(wait)
                continue
            if response.status_code >= 500:
                last_error = f"HTTP {response.status_code}"
                await asyncio.sleep(self._backoff(attempt))
                continue
            body = response.json()
            if not body.get("ok"):
                raise SlackError(f"slack refused {method}: {body.get('error', response.status_code)}")
            return Posted(channel=str(body["channel"]), ts=str(body["ts"]))
        raise SlackError(f"{method} failed after {self._max_attempts} attempts: {last_error}")

    @staticmethod
    def _backoff(attempt: int) -> float:
        return float(min(0.2 * 2 ** (attempt - 1), 5.0))
