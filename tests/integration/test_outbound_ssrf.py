"""Outbound SSRF at delivery time, through the real HTTP client: a name that passed the creation check
but resolves (here through /etc/hosts, as a rebinding DNS would answer) to 127.0.0.1 is refused, and
the receiver listening there gets nothing. With the guard off (development only) it is delivered."""

import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse

from services.outbound.address_guard import refused_host
from services.outbound.destinations import WebhookDestination
from services.outbound.store import Delivery, Subscription
from tests.support.inprocess import serve_app

HOSTS = Path("/etc/hosts")


@pytest.fixture
def rebinding_name() -> Iterator[str]:
    """A name only this test knows, mapped to 127.0.0.1 in /etc/hosts for the test's duration."""
    name = f"rebind-{uuid.uuid4().hex[:8]}.leadrelay.test"
    before = HOSTS.read_text()
    HOSTS.write_text(before + f"\n127.0.0.1 {name}\n")
    try:
        yield name
    finally:
        HOSTS.write_text(before)


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[list[bytes], int]]:
    got: list[bytes] = []
    app = FastAPI()

    @app.post("/hook")
    async def hook(request: Request) -> dict[str, bool]:
        got.append(await request.body())
        return {"ok": True}

    async with serve_app(app) as base:
        yield got, int(base.rsplit(":", 1)[1])


def delivery(url: str) -> Delivery:
    sub = Subscription(
        uuid.uuid4(), "webhook", url, ["assigned"], "whsec_" + "A" * 44, "", True, None, 0, datetime.now(UTC)
    )
    return Delivery(1, sub, uuid.uuid4(), "assigned", uuid.uuid4(), {"type": "lead.assigned", "data": {}}, 1)


async def test_a_name_rebound_to_loopback_is_refused_at_delivery(
    rebinding_name: str, receiver: tuple[list[bytes], int]
) -> None:
    got, port = receiver
    url = f"http://{rebinding_name}:{port}/hook"
    assert refused_host(rebinding_name) is None, "a name passes the creation check: delivery must catch it"
    async with httpx.AsyncClient() as http:
        guarded = await WebhookDestination(http, 5.0).deliver(delivery(url))
        assert not guarded.ok and "loopback" in guarded.error, guarded
        assert got == [], "the internal receiver got nothing"
        unguarded = await WebhookDestination(http, 5.0, guard=False).deliver(delivery(url))
    assert unguarded.ok and len(got) == 1


async def test_a_redirect_to_an_internal_address_is_not_followed(receiver: tuple[list[bytes], int]) -> None:
    got, port = receiver
    redirector = FastAPI()

    @redirector.post("/hook")
    async def redirect() -> RedirectResponse:
        return RedirectResponse(f"http://127.0.0.1:{port}/hook", status_code=307)

    async with serve_app(redirector) as base, httpx.AsyncClient() as http:
        outcome = await WebhookDestination(http, 5.0, guard=False).deliver(delivery(f"{base}/hook"))
    assert not outcome.ok and outcome.status == 307 and got == []
