"""The Slack client over real HTTP against the Slack stand-in, including its retry rules."""

import time
from collections.abc import AsyncIterator

import httpx
import pytest

from services.notify.slack_client import SlackClient, SlackError
from standins.slack import create_app
from tests.support.inprocess import serve_app


@pytest.fixture
async def standin() -> AsyncIterator[str]:
    async with serve_app(create_app()) as base:
        yield base


def client(http: httpx.AsyncClient, base: str, token: str = "xoxb-test", attempts: int = 4) -> SlackClient:
    return SlackClient(http, f"{base}/api", token, max_attempts=attempts, max_retry_after=30)


async def messages(http: httpx.AsyncClient, base: str) -> list[dict[str, object]]:
    result: list[dict[str, object]] = (await http.get(f"{base}/_standin/messages")).json()
    return result


async def test_posts_a_message_the_way_slack_accepts_it(standin: str) -> None:
    async with httpx.AsyncClient() as http:
        posted = await client(http, standin).post_message("U01ALICE", "hello", [{"type": "divider"}])
        [received] = await messages(http, standin)
    assert posted.channel == "U01ALICE" and posted.ts == received["ts"]
    assert received["body"] == {
        "channel": "U01ALICE",
        "text": "hello",
        "blocks": [{"type": "divider"}],
        "unfurl_links": False,
    }


async def test_429_waits_for_retry_after_then_succeeds(standin: str) -> None:
    async with httpx.AsyncClient() as http:
        await http.post(f"{standin}/_standin/faults", json={"rate_limited": 2, "retry_after": 1})
        started = time.monotonic()
        await client(http, standin).post_message("C1", "hi", [])
        waited = time.monotonic() - started
        assert len(await messages(http, standin)) == 1
    assert waited >= 2.0, "two Retry-After: 1 answers mean at least two seconds of waiting"


async def test_server_errors_are_retried_with_backoff(standin: str) -> None:
    async with httpx.AsyncClient() as http:
        await http.post(f"{standin}/_standin/faults", json={"server_errors": 2})
        await client(http, standin).post_message("C1", "hi", [])
        assert len(await messages(http, standin)) == 1


async def test_refusals_are_final_and_exhaustion_is_reported(standin: str) -> None:
    async with httpx.AsyncClient() as http:
        with pytest.raises(SlackError, match="invalid_auth"):
            await client(http, standin, token="not-a-slack-token").post_message("C1", "hi", [])
        await http.post(f"{standin}/_standin/faults", json={"server_errors": 10})
        with pytest.raises(SlackError, match="after 3 attempts: HTTP 500"):
            await client(http, standin, attempts=3).post_message("C1", "hi", [])
        assert await messages(http, standin) == []


async def test_unreachable_slack_is_an_error_after_bounded_attempts() -> None:
    async with httpx.AsyncClient() as http:
        with pytest.raises(SlackError, match="connection error"):
            await client(http, "http://127.0.0.1:9", attempts=2).post_message("C1", "hi", [])
