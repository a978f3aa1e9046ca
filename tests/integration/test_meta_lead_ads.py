"""Meta Lead Ads against a real capture process and the Graph API stand-in: the GET handshake, the
signed leadgen notification, the lead read from Graph, and the refusals."""

import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import orjson
import pytest
import yaml

from standins.meta_graph import create_app
from tests.support.inprocess import free_port, serve_app
from tests.support.kafka_io import read_topic
from tests.support.processes import service
from tests.support.stack import ROOT, Stack

FIXTURES = ROOT / "tests" / "fixtures"
APP_SECRET, VERIFY, TOKEN = "local-meta-app-secret", "local-meta-verify-token", "local-meta-page-token"


@pytest.fixture(scope="module")
async def meta(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple[str, str]]:
    async with serve_app(create_app(TOKEN)) as graph:
        config = yaml.safe_load((ROOT / "config" / "leadrelay.example.yaml").read_text())
        for source in config["sources"]:
            if source["type"] == "meta_lead_ads":
                source["graph_url"] = graph
        path: Path = tmp_path_factory.mktemp("meta") / "config.yaml"
        path.write_text(yaml.safe_dump(config))
        port = free_port()
        proc = service("capture", port, stack.env(LEADRELAY_CONFIG=str(path)), ROOT / ".local" / "test-logs" / "meta")
        proc.start().wait_ready(f"http://127.0.0.1:{port}/readyz")
        try:
            yield f"http://127.0.0.1:{port}", graph
        finally:
            assert proc.stop(), proc.tail()


def signed(body: bytes, secret: str = APP_SECRET) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Hub-Signature-256": f"sha256={digest}", "Content-Type": "application/json"}


async def test_subscription_handshake(meta: tuple[str, str]) -> None:
    capture, _ = meta
    async with httpx.AsyncClient() as http:
        ok = await http.get(
            f"{capture}/v1/webhooks/facebook",
            params={"hub.mode": "subscribe", "hub.verify_token": VERIFY, "hub.challenge": "1158201444"},
        )
        wrong = await http.get(
            f"{capture}/v1/webhooks/facebook",
            params={"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "1"},
        )
    assert ok.status_code == 200 and ok.text == "1158201444"
    assert wrong.status_code == 403 and wrong.json()["fields"][0]["field"] == "hub.verify_token"


async def test_signed_leadgen_is_read_from_graph_and_published_once(meta: tuple[str, str], stack: Stack) -> None:
    capture, graph = meta
    lead = json.loads((FIXTURES / "meta_graph_lead.json").read_text())
    body = (FIXTURES / "meta_leadgen_notification.json").read_bytes()
    async with httpx.AsyncClient() as http:
        await http.post(f"{graph}/_standin/leads", json=lead)
        tampered = await http.post(
            f"{capture}/v1/webhooks/facebook", content=body.replace(b"444", b"445", 1), headers=signed(body)
        )
        wrong = await http.post(f"{capture}/v1/webhooks/facebook", content=body, headers=signed(body, "other-secret"))
        first = await http.post(f"{capture}/v1/webhooks/facebook", content=body, headers=signed(body))
        again = await http.post(f"{capture}/v1/webhooks/facebook", content=body, headers=signed(body))
        unknown_body = body.replace(b"444444444444", b"999999999999")
        unknown = await http.post(f"{capture}/v1/webhooks/facebook", content=unknown_body, headers=signed(unknown_body))
    assert tampered.status_code == wrong.status_code == 401
    assert first.status_code == 202, first.text
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    assert unknown.status_code == 422 and unknown.json()["fields"][0]["field"] == "leadgen_id"
    lead_id = first.json()["lead_id"]
    records = await read_topic(
        f"{stack.topic_prefix}lead.captured", until=lambda rs: any(r.key == lead_id.encode() for r in rs), settle=1.0
    )
    [event] = [orjson.loads(r.value) for r in records if r.key == lead_id.encode()]
    fields = event["data"]["fields"]
    assert (fields["email"], fields["first_name"], fields["last_name"], fields["title"]) == (
        "noor.haddad@globex.com",
        "Noor",
        "Haddad",
        "Head of Sales",
    )
    assert fields["extra"]["how_many_reps_do_you_have?"] == "20-50"
    assert (fields["extra"]["meta_ad_id"], fields["extra"]["meta_form_id"]) == (
        "120210000000000001",
        "1020000000000001",
    ), "the ad and form ids come from the webhook: Graph's default lead read does not return them"
    assert fields["extra"]["meta_adgroup_id"] == "120210000000000002"
    async with httpx.AsyncClient() as http:
        reads = (await http.get(f"{graph}/_standin/requests")).json()
    assert {r["version"] for r in reads} == {"v23.0"}, "leads are read with the configured graph_version"
