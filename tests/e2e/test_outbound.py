"""Outbound on the whole pipeline. A subscriber receives the events it asked for, signed as Standard
Webhooks (checked with the library's verifier). While its receiver is down the deliveries are
retried, and once it is back each arrives once. A subscription failing too often in a row is
disabled, keeps its deliveries, and gets them as soon as it is enabled again; the log can be
replayed. A subscriber that hangs holds up no other. A nurtured lead is enrolled in the HubSpot
stand-in's list with the reason and leaves it when routed."""

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from tests.e2e.test_webhook_to_slack import alerts_for
from tests.support.inprocess import free_port, serve_app
from tests.support.pipeline import Pipeline, run_pipeline
from tests.support.stack import INTAKE, OPS, ROOT, Stack

LIST_ID = "42"


class Receiver:
    """A subscriber's endpoint: records what arrives; answers 503 while `down`; while `hold` is set,
    takes each request and answers only once `release` is set (a subscriber that hangs)."""

    def __init__(self) -> None:
        self.down = False
        self.hold = False
        self.release = asyncio.Event()
        self.received: list[dict[str, Any]] = []
        self.app = FastAPI()

        @self.app.post("/hook")
        async def hook(request: Request) -> JSONResponse:
            if self.down:
                return JSONResponse({"error": "down"}, status_code=503)
            if self.hold:
                self.received.append({"headers": dict(request.headers), "body": (await request.body()).decode()})
                await self.release.wait()
                return JSONResponse({"ok": True})
            self.received.append({"headers": dict(request.headers), "body": (await request.body()).decode()})
            return JSONResponse({"ok": True})

    def verified(self, secret: str) -> list[dict[str, Any]]:
        """Every delivery, checked with the standardwebhooks library's verifier (raises if forged)."""
        return [dict(Webhook(secret).verify(r["body"], r["headers"])) for r in self.received]


def outbound_config() -> Path:
    config: dict[str, Any] = yaml.safe_load((ROOT / "config" / "leadrelay.example.yaml").read_text())
    config["handoff"] = {"hubspot_list_id": LIST_ID}
    path = ROOT / ".local" / "test-logs" / "outbound.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def outbound(stack: Stack) -> Iterator[Pipeline]:
    env = {
        "LEADRELAY_ALLOW_PRIVATE_URLS": "true",
        "LEADRELAY_RETRY_BASE_S": "0.3",
        "LEADRELAY_RETRY_CAP_S": "1",
        "LEADRELAY_DISABLE_AFTER": "10",
        "LEADRELAY_SEND_TIMEOUT_S": "60",
    }
    logs = ROOT / ".local" / "test-logs" / "e2e-outbound"
    ports = (free_port(), free_port())
    with run_pipeline(stack, logs, config=outbound_config(), extra_env=env, crm=ports, outbound=True) as p:
        yield p


@asynccontextmanager
async def released(r: Receiver) -> AsyncIterator[None]:
    """Lets the held requests go on the way out, passed or failed, so the receiver can stop."""
    try:
        yield
    finally:
        r.release.set()


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    r = Receiver()
    async with serve_app(r.app) as base:
        yield r, f"{base}/hook"


async def subscribe(p: Pipeline, url: str, events: list[str]) -> dict[str, Any]:
    async with httpx.AsyncClient() as http:
        created = await http.post(
            f"{p.outbound}/v1/outbound/subscriptions", json={"url": url, "events": events}, headers=OPS
        )
    assert created.status_code == 201, created.text
    body: dict[str, Any] = created.json()
    assert body["secret"].startswith("whsec_")
    return body


async def post_lead(p: Pipeline, email: str, title: str | None = "VP of Engineering") -> str:
    lead = {"email": email, "name": "Olga Outbound", **({"title": title} if title else {})}
    async with httpx.AsyncClient() as http:
        posted = await http.post(f"{p.capture}/v1/webhooks/generic", json=lead, headers=INTAKE)
    assert posted.status_code == 202, posted.text
    return str(posted.json()["lead_id"])


async def until(check: Any, timeout: float = 20, why: Callable[[], Awaitable[str]] | None = None) -> None:
    """Waits for `check`; on timeout fails with what `why` says (the delivery log, say)."""
    try:
        async with asyncio.timeout(timeout):
            while not await check():
                await asyncio.sleep(0.1)
    except TimeoutError:
        pytest.fail(f"not within {timeout} s: {await why() if why else ''}")


async def log_of(base: str) -> str:
    """A subscription and its deliveries as the operator API shows them."""
    async with httpx.AsyncClient() as http:
        sub = (await http.get(base.rsplit("/", 1)[0], headers=OPS)).text
        log = (await http.get(f"{base}/deliveries", headers=OPS)).text
    return f"subscriptions {sub}; deliveries {log}"


async def test_a_subscriber_gets_signed_events_once_each_even_after_being_down(
    outbound: Pipeline, receiver: tuple[Receiver, str]
) -> None:
    r, url = receiver
    sub = await subscribe(outbound, url, ["assigned", "claimed"])
    tag = uuid.uuid4().hex[:8]
    lead_id = await post_lead(outbound, f"ob.{tag}@initech.com")

    async def got(n: int) -> bool:
        return len([m for m in r.verified(sub["secret"]) if m["data"]["lead_id"] == lead_id]) >= n

    await until(lambda: got(1))
    [alert] = (await alerts_for(outbound.slack, {tag}, settle=0.0))[tag]
    async with httpx.AsyncClient() as http:
        await http.post(f"{outbound.slack}/_standin/click", json={"ts": alert["ts"], "user_id": alert["channel"]})
    await until(lambda: got(2))
    mine = [m for m in r.verified(sub["secret"]) if m["data"]["lead_id"] == lead_id]
    assert [m["type"] for m in mine] == ["lead.assigned", "lead.claimed"]
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "A" * 44).verify(r.received[0]["body"], r.received[0]["headers"])

    r.down = True
    later = [await post_lead(outbound, f"ob{i}.{tag}@initech.com") for i in range(2)]
    await asyncio.sleep(1.0)
    async with httpx.AsyncClient() as http:
        log = (
            await http.get(f"{outbound.outbound}/v1/outbound/subscriptions/{sub['id']}/deliveries", headers=OPS)
        ).json()
    waiting = [d for d in log["deliveries"] if d["lead_id"] in later]
    assert waiting and all(d["status"] != "sent" and d["last_status"] == 503 for d in waiting)
    r.down = False

    async def all_later() -> bool:
        return {m["data"]["lead_id"] for m in r.verified(sub["secret"])} >= set(later)

    await until(all_later)
    await asyncio.sleep(1.5)
    ids = Counter(x["headers"]["webhook-id"] for x in r.received)
    assert max(ids.values()) == 1, "each event arrives once"


async def test_a_failing_subscription_is_disabled_kept_and_replayed(
    outbound: Pipeline, receiver: tuple[Receiver, str]
) -> None:
    r, url = receiver
    sub = await subscribe(outbound, url, ["assigned"])
    r.down = True
    tag = uuid.uuid4().hex[:8]
    lead_id = await post_lead(outbound, f"dis.{tag}@initech.com")

    def mine() -> list[dict[str, Any]]:
        """This lead's arrivals. The subscription takes every `assigned` event of the shared pipeline,
        and earlier modules' leads can be reassigned meanwhile (their SLA clocks fire together)."""
        check = Webhook(sub["secret"])
        return [x for x in r.received if dict(check.verify(x["body"], x["headers"]))["data"]["lead_id"] == lead_id]

    async def disabled() -> bool:
        async with httpx.AsyncClient() as http:
            subs = (await http.get(f"{outbound.outbound}/v1/outbound/subscriptions", headers=OPS)).json()
        return any(s["id"] == sub["id"] and not s["enabled"] for s in subs["subscriptions"])

    await until(disabled, timeout=30)
    r.down = False
    await asyncio.sleep(1.0)
    assert not r.received, "a disabled subscription gets nothing"
    async with httpx.AsyncClient() as http:
        base = f"{outbound.outbound}/v1/outbound/subscriptions/{sub['id']}"
        enabled = await http.patch(base, json={"enabled": True}, headers=OPS)
        assert enabled.status_code == 200 and enabled.json()["enabled"] is True
        waiting = (await http.get(f"{base}/deliveries", params={"status": "queued"}, headers=OPS)).json()
        assert all(
            datetime.fromisoformat(d["next_at"]) <= datetime.now(UTC) + timedelta(seconds=1)
            for d in waiting["deliveries"]
        ), "enabling makes what waited due now, not after its doubled wait"
        await until(lambda: asyncio.sleep(0, result=len(mine()) == 1), why=lambda: log_of(base))
        replayed = await http.post(f"{base}/replay", json={"status": "sent"}, headers=OPS)
        assert replayed.status_code == 200 and replayed.json()["replayed"] >= 1
        await until(lambda: asyncio.sleep(0, result=len(mine()) >= 2), why=lambda: log_of(base))
        first, again = (x["headers"]["webhook-id"] for x in mine()[:2])
        assert first == again, "a replay sends the same delivery again, under its webhook-id"
        forbidden = await http.post(f"{base}/replay", json={}, headers=INTAKE)
        bad = await http.post(
            f"{outbound.outbound}/v1/outbound/subscriptions", json={"url": "ftp://x", "events": ["nope"]}, headers=OPS
        )
    assert len(mine()) == 2, "the lead's alert arrived once, and once more when replayed"
    assert forbidden.status_code == 403
    assert bad.status_code == 422 and {f["field"] for f in bad.json()["fields"]} >= {"url"}


async def test_an_unusable_subscription_fails_alone_and_others_get_each_event_once(
    outbound: Pipeline, receiver: tuple[Receiver, str]
) -> None:
    """A URL that passes validation but that the HTTP client cannot use (a control character in the
    host) used to raise out of the sender's batch: the whole batch was retried forever, the others
    got duplicates, and the bad subscription was never disabled."""
    r, url = receiver
    good = await subscribe(outbound, url, ["assigned"])
    bad = await subscribe(outbound, "http://bad\x01host.example/hook", ["assigned"])
    tag = uuid.uuid4().hex[:8]
    leads = [await post_lead(outbound, f"jam{i}.{tag}@initech.com") for i in range(3)]

    async def all_arrived() -> bool:
        return {m["data"]["lead_id"] for m in r.verified(good["secret"])} >= set(leads)

    async def bad_disabled() -> bool:
        async with httpx.AsyncClient() as http:
            subs = (await http.get(f"{outbound.outbound}/v1/outbound/subscriptions", headers=OPS)).json()
        return any(s["id"] == bad["id"] and not s["enabled"] for s in subs["subscriptions"])

    await until(all_arrived, timeout=30)
    await until(bad_disabled, timeout=30)
    async with httpx.AsyncClient() as http:
        log = (
            await http.get(f"{outbound.outbound}/v1/outbound/subscriptions/{bad['id']}/deliveries", headers=OPS)
        ).json()
    assert log["deliveries"] and all(d["status"] != "sent" for d in log["deliveries"])
    assert any("unusable destination" in (d.get("last_error") or "") for d in log["deliveries"]), log["deliveries"][0]
    await asyncio.sleep(1.5)
    ids = Counter(x["headers"]["webhook-id"] for x in r.received)
    assert max(ids.values()) == 1, "the good subscriber got each event once"


async def test_a_subscriber_that_hangs_holds_up_no_other(outbound: Pipeline) -> None:
    """The send timeout here is 60 s. While one subscriber holds its request open, another gets the
    next lead's events: each delivery is sent and recorded on its own."""
    hung, fine = Receiver(), Receiver()
    hung.hold = True
    async with serve_app(fine.app) as fine_base, serve_app(hung.app) as hung_base, released(hung):
        await subscribe(outbound, f"{hung_base}/hook", ["assigned"])
        other = await subscribe(outbound, f"{fine_base}/hook", ["assigned"])
        tag = uuid.uuid4().hex[:8]
        first = await post_lead(outbound, f"hang1.{tag}@initech.com")

        async def hung_has_it() -> bool:
            return any(first in r["body"] for r in hung.received)

        await until(hung_has_it)
        second = await post_lead(outbound, f"hang2.{tag}@initech.com")

        async def fine_has_both() -> bool:
            return {m["data"]["lead_id"] for m in fine.verified(other["secret"])} >= {first, second}

        await until(fine_has_both, timeout=30)


async def test_a_nurtured_lead_joins_the_hubspot_list_and_leaves_it_when_routed(outbound: Pipeline) -> None:
    tag = uuid.uuid4().hex[:8]
    email = f"nur.{tag}@initech.com"
    await post_lead(outbound, email, title=None)
    async with httpx.AsyncClient() as http:

        async def contact() -> dict[str, Any] | None:
            contacts = (await http.get(f"{outbound.hubspot}/_standin/contacts")).json()
            return next((c for c in contacts if c["properties"].get("email") == email), None)

        async def listed() -> bool:
            found = await contact()
            lists = (await http.get(f"{outbound.hubspot}/_standin/lists")).json()
            return found is not None and found["id"] in lists.get(LIST_ID, [])

        await until(listed)
        found = await contact()
        assert found is not None and "stage mql" in found["properties"]["leadrelay_nurture_reason"]

        demo = {"kind": "demo_requested", "email": email, "properties": {"form": "demo"}}
        assert (await http.post(f"{outbound.capture}/v1/events", json=demo, headers=INTAKE)).status_code == 202

        async def left() -> bool:
            return not await listed()

        await until(left)
