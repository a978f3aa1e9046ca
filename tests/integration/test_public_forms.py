"""Public forms at capture as a process: captcha checked with the (stand-in) provider's siteverify,
honeypot submissions dropped without a trace, per-IP rate limits answered 429 with Retry-After, the
CORS preflight answered for allowed origins only, and bodies that are not form data refused."""

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest
import yaml

from standins.captcha import create_app as captcha_app
from tests.support.capture_proc import start_capture
from tests.support.inprocess import serve_app
from tests.support.processes import Proc
from tests.support.stack import ROOT, Stack

ORIGIN = "https://www.example.com"
CAPTCHA_SECRET = "test-turnstile-secret-0123456789"


@pytest.fixture(scope="module")
async def forms(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple[str, str]]:
    async with serve_app(captcha_app(CAPTCHA_SECRET)) as captcha:
        config = yaml.safe_load((ROOT / "config" / "leadrelay.example.yaml").read_text())
        config["forms"] = [
            {
                "id": "demo",
                "allowed_origins": [ORIGIN],
                "redirect_url": f"{ORIGIN}/thanks",
                "captcha": {
                    "provider": "turnstile",
                    "secret": CAPTCHA_SECRET,
                    "verify_url": f"{captcha}/turnstile/v0/siteverify",
                },
            },
            {"id": "limited", "allowed_origins": [ORIGIN], "rate_limit": {"per_ip_per_minute": 3}},
            {"id": "burst", "allowed_origins": [ORIGIN], "rate_limit": {"per_ip_per_minute": 3}},
            {"id": "multi", "allowed_origins": [ORIGIN]},
            {
                "id": "broken",
                "allowed_origins": [ORIGIN],
                "captcha": {
                    "provider": "hcaptcha",
                    "secret": CAPTCHA_SECRET,
                    "verify_url": "http://127.0.0.1:9/siteverify",
                },
            },
        ]
        path: Path = tmp_path_factory.mktemp("forms") / "leadrelay.yaml"
        path.write_text(yaml.safe_dump(config))
        proc, base = start_capture(stack, LEADRELAY_CONFIG=str(path))
        try:
            yield base, captcha
        finally:
            assert Proc.stop(proc), proc.tail()


async def count_leads(stack: Stack, email: str) -> int:
    conn = await asyncpg.connect(stack.dsn)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM capture.leads WHERE email = $1", email))
    finally:
        await conn.close()


async def test_captcha_is_checked_with_siteverify_and_a_token_works_once(forms: tuple[str, str], stack: Stack) -> None:
    base, captcha = forms
    email = f"human+{uuid.uuid4().hex[:8]}@initech.com"
    headers = {"Origin": ORIGIN}
    async with httpx.AsyncClient() as http:
        missing = await http.post(f"{base}/v1/forms/demo", data={"email": email}, headers=headers)
        token = (await http.post(f"{captcha}/_standin/tokens")).json()["token"]
        solved = await http.post(
            f"{base}/v1/forms/demo", data={"email": email, "cf-turnstile-response": token}, headers=headers
        )
        reused = await http.post(
            f"{base}/v1/forms/demo", data={"email": f"x{email}", "cf-turnstile-response": token}, headers=headers
        )
        checks = (await http.get(f"{captcha}/_standin/requests")).json()
        down = await http.post(
            f"{base}/v1/forms/broken", data={"email": email, "h-captcha-response": "t"}, headers=headers
        )
    assert missing.status_code == 403 and missing.json()["error"] == "captcha_failed"
    assert missing.json()["fields"][0]["field"] == "cf-turnstile-response"
    assert solved.status_code == 303 and solved.headers["location"] == f"{ORIGIN}/thanks"
    assert reused.status_code == 403, "a token verifies once"
    assert [c["form"]["response"] for c in checks] == [token, token]
    assert all(c["form"]["remoteip"] == "127.0.0.1" for c in checks)
    assert down.status_code == 502 and down.json()["error"] == "upstream_unavailable"
    assert await count_leads(stack, email) == 1


async def test_honeypot_gets_the_same_answer_and_stores_nothing(forms: tuple[str, str], stack: Stack) -> None:
    base, _ = forms
    email = f"bot+{uuid.uuid4().hex[:8]}@spam.example"
    async with httpx.AsyncClient() as http:
        response = await http.post(
            f"{base}/v1/forms/limited", json={"email": email, "website": "http://spam"}, headers={"Origin": ORIGIN}
        )
    assert response.status_code == 202 and response.json() == {"status": "received"}
    assert await count_leads(stack, email) == 0


async def test_rate_limit_preflight_and_bodies(forms: tuple[str, str]) -> None:
    base, _ = forms
    async with httpx.AsyncClient() as http:
        preflight = await http.options(
            f"{base}/v1/forms/limited",
            headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"},
        )
        foreign = await http.options(
            f"{base}/v1/forms/limited",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        )
        no_origin = await http.post(f"{base}/v1/forms/limited", json={"email": "a@b.co"})
        xml = await http.post(
            f"{base}/v1/forms/limited", content=b"<x/>", headers={"Origin": ORIGIN, "Content-Type": "text/xml"}
        )
        nul = await http.post(f"{base}/v1/forms/limited", data={"email": "a\x00@b.co"}, headers={"Origin": ORIGIN})
        burst = [
            await http.post(
                f"{base}/v1/forms/burst",
                json={"email": f"r{i}+{uuid.uuid4().hex[:6]}@b.co"},
                headers={"Origin": ORIGIN},
            )
            for i in range(4)
        ]
        unknown = await http.post(f"{base}/v1/forms/nope", json={"email": "a@b.co"}, headers={"Origin": ORIGIN})
    assert preflight.status_code == 204 and preflight.headers["access-control-allow-origin"] == ORIGIN
    assert foreign.status_code == 403 and "access-control-allow-origin" not in foreign.headers
    assert no_origin.status_code == 403 and no_origin.json()["fields"][0]["field"] == "Origin"
    assert xml.status_code == 415 and nul.status_code == 422 and nul.json()["fields"][0]["field"] == "email"
    codes = [r.status_code for r in burst]
    assert codes == [202, 202, 202, 429], "three a minute from one IP"
    limited = burst[3]
    assert int(limited.headers["retry-after"]) >= 1 and limited.json()["error"] == "rate_limited"
    assert unknown.status_code == 404


async def test_multipart_posts_are_taken_and_file_uploads_refused(forms: tuple[str, str], stack: Stack) -> None:
    base, _ = forms
    email = f"multi+{uuid.uuid4().hex[:8]}@initech.com"
    async with httpx.AsyncClient() as http:
        taken = await http.post(
            f"{base}/v1/forms/multi",
            files={"email": (None, email), "name": (None, "Mia Multipart")},
            headers={"Origin": ORIGIN},
        )
        upload = await http.post(
            f"{base}/v1/forms/multi",
            files={"email": (None, f"x{email}"), "cv": ("cv.exe", b"MZ...", "application/octet-stream")},
            headers={"Origin": ORIGIN},
        )
    assert taken.status_code == 200 and "Thank you" in taken.text, "no redirect_url: a thank-you page"
    assert upload.status_code == 400 and upload.json()["fields"][0]["field"] == "(request)"
    assert await count_leads(stack, email) == 1 and await count_leads(stack, f"x{email}") == 0
