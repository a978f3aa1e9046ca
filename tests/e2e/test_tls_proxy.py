"""The public doors behind Debian's nginx terminating TLS, connecting from 127.0.0.5 as an ingress pod
would. Vendors sign the https:// URL they call, the console's cookie is Secure, and client addresses
come from X-Forwarded-For only when the peer is the trusted proxy."""

import asyncio
import json
import ssl
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx
import pytest
import yaml

from tests.support import signing
from tests.support.inprocess import free_port
from tests.support.pipeline import TWILIO_TOKEN, Pipeline, run_pipeline
from tests.support.stack import CONSOLE_KEY, ROOT, Stack
from tests.support.tls_proxy import PROXY_ADDRESS, TlsProxy, tls_proxy

LOGS = ROOT / ".local" / "test-logs" / "tls-proxy"
ORIGIN = "http://127.0.0.1:8090"
PER_IP = 3


@pytest.fixture(scope="module")
def proxied(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Pipeline, TlsProxy]]:
    config = yaml.safe_load((ROOT / "config" / "leadrelay.example.yaml").read_text())
    config["forms"][0]["rate_limit"] = {"per_ip_per_minute": PER_IP, "per_form_per_minute": 600}
    path = tmp_path_factory.mktemp("tls") / "leadrelay.yaml"
    path.write_text(yaml.safe_dump(config))
    port = free_port()
    public = f"https://127.0.0.1:{port}"
    env = {
        "LEADRELAY_TRUSTED_PROXIES": PROXY_ADDRESS,
        "LEADRELAY_PUBLIC_URL": public,
        "LEADRELAY_TWILIO_STATUS_CALLBACK_URL": "",  # derived from the public URL
    }
    with run_pipeline(stack, LOGS, config=path, insights=True, extra_env=env) as pipeline:
        with tls_proxy(pipeline.ports, ROOT / ".local" / "test-nginx", port) as proxy:
            yield pipeline, proxy


def client(proxy: TlsProxy, source: str = "127.0.0.1") -> httpx.AsyncClient:
    transport = httpx.AsyncHTTPTransport(
        local_address=source, verify=ssl.create_default_context(cafile=str(proxy.cafile))
    )
    return httpx.AsyncClient(transport=transport, base_url=proxy.url, follow_redirects=False)


async def test_hubspot_signed_for_the_https_url_becomes_a_lead(
    proxied: tuple[Pipeline, TlsProxy], stack: Stack
) -> None:
    _, proxy = proxied
    tag = uuid.uuid4().hex[:10]
    body = json.dumps({"properties": {"email": {"value": f"hana.ito+{tag}@hooli.com"}, "firstname": {"value": "Hana"}}})
    path = "/v1/webhooks/hubspot"
    now = datetime.now(UTC)
    async with client(proxy) as http:
        signed_as_seen_inside = await http.post(
            path,
            content=body,
            headers=signing.hubspot("local-hubspot-secret", body.encode(), now, f"http://127.0.0.1{path}"),
        )
        response = await http.post(
            path,
            content=body,
            headers=signing.hubspot("local-hubspot-secret", body.encode(), now, f"{proxy.url}{path}"),
        )
    assert signed_as_seen_inside.status_code == 401
    assert response.status_code == 202, response.text
    conn = await asyncpg.connect(stack.dsn)
    try:
        email = await conn.fetchval(
            "SELECT email FROM capture.leads WHERE id = $1", uuid.UUID(response.json()["lead_id"])
        )
    finally:
        await conn.close()
    assert email == f"hana.ito+{tag}@hooli.com"


async def test_twilio_callback_signed_for_the_https_url_is_accepted(proxied: tuple[Pipeline, TlsProxy]) -> None:
    _, proxy = proxied
    params = {"MessageSid": f"SM{uuid.uuid4().hex}", "MessageStatus": "delivered", "AccountSid": "AC1"}
    url = f"{proxy.url}/v1/twilio/status"
    async with client(proxy) as http:
        accepted = await http.post("/v1/twilio/status", data=params, headers=signing.twilio(TWILIO_TOKEN, url, params))
        inner = signing.twilio(TWILIO_TOKEN, "http://127.0.0.1/v1/twilio/status", params)
        refused = await http.post("/v1/twilio/status", data=params, headers=inner)
    assert accepted.status_code == 200, accepted.text
    assert refused.status_code == 401


async def test_the_console_cookie_is_secure_behind_tls(proxied: tuple[Pipeline, TlsProxy]) -> None:
    _, proxy = proxied
    async with client(proxy) as http:
        response = await http.post("/console/login", data={"key": CONSOLE_KEY})
    assert response.status_code == 303, response.text
    cookie = response.headers["set-cookie"]
    assert "secure" in cookie.lower() and "httponly" in cookie.lower()


async def _form_posts(http: httpx.AsyncClient, count: int, headers: dict[str, str] | None = None) -> list[int]:
    codes = []
    for _ in range(count):
        email = f"visitor+{uuid.uuid4().hex[:10]}@example.org"
        response = await http.post(
            "/v1/forms/contact", json={"email": email}, headers={"Origin": ORIGIN, **(headers or {})}
        )
        codes.append(response.status_code)
    return codes


async def test_clients_behind_the_proxy_get_their_own_rate_limits(proxied: tuple[Pipeline, TlsProxy]) -> None:
    _, proxy = proxied
    async with client(proxy, "127.0.0.2") as first, client(proxy, "127.0.0.3") as second:
        forged = {"X-Forwarded-For": "198.51.100.7"}  # a visitor's own header is not their address
        codes_first = await _form_posts(first, PER_IP + 1, forged)
        codes_second = await _form_posts(second, 1)
    assert codes_first == [202] * PER_IP + [429]
    assert codes_second == [202], "127.0.0.3 has a bucket of its own"


async def test_a_forged_forwarded_for_sent_straight_to_capture_counts_against_the_peer(
    proxied: tuple[Pipeline, TlsProxy],
) -> None:
    pipeline, _ = proxied
    codes = []
    async with httpx.AsyncClient(base_url=pipeline.capture) as http:
        for i in range(PER_IP + 1):
            codes += await _form_posts(http, 1, {"X-Forwarded-For": f"203.0.113.{i + 1}"})
    assert codes == [202] * PER_IP + [429], "every forged address landed in 127.0.0.1's bucket"
    await asyncio.sleep(0)


def test_the_shipped_proxy_config_is_what_ran() -> None:
    text = (ROOT / "deploy" / "nginx" / "leadrelay.conf.template").read_text()
    assert "proxy_bind ${PROXY_ADDRESS};" in text and "X-Forwarded-Proto $scheme" in text
    assert Path("/usr/sbin/nginx").exists() or Path("/usr/bin/nginx").exists()
