"""A website's own form in a real browser (Debian's chromium driven by selenium): a page served from
another local port posts to /v1/forms/contact; the browser is redirected and the lead is routed to a
rep's Slack. A page from an origin the form does not allow is refused, by a plain post and by fetch.
Screenshots go to .local/test-logs/browser/."""

import asyncio
import threading
import uuid
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
import yaml
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.e2e.test_webhook_to_slack import alerts_for
from tests.support.browser import chromium
from tests.support.inprocess import free_port
from tests.support.pipeline import Pipeline, run_pipeline
from tests.support.stack import ROOT, Stack

SHOTS = ROOT / ".local" / "test-logs" / "browser"
FORM_PAGE = """<!doctype html><meta charset=utf-8><title>Contact us</title>
<h1>Talk to sales</h1>
<form method="post" action="{capture}/v1/forms/contact">
  <input name="email" id="email" type="email" required placeholder="Work email">
  <input name="name" id="name" placeholder="Name">
  <input name="title" id="title" placeholder="Job title">
  <input name="website" id="website" style="display:none" tabindex="-1" autocomplete="off">
  <button type="submit" id="send">Send</button>
</form>
<pre id="result"></pre>
<script>
async function sendJson(email) {{
  try {{
    const r = await fetch("{capture}/v1/forms/contact", {{method: "POST",
      headers: {{"Content-Type": "application/json"}}, body: JSON.stringify({{email: email, name: "Fetch Visitor"}})}});
    document.getElementById("result").textContent = "status " + r.status + " " + await r.text();
  }} catch (e) {{ document.getElementById("result").textContent = "blocked " + e; }}
}}
</script>"""


class Site:
    def __init__(self, root: Path) -> None:
        self.port = free_port()
        handler = partial(SimpleHTTPRequestHandler, directory=str(root))
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Site, Site, Path]]:
    root = tmp_path_factory.mktemp("site")
    allowed, other = Site(root), Site(root)
    yield allowed, other, root
    allowed.server.shutdown()
    other.server.shutdown()


@pytest.fixture(scope="module")
def form_pipeline(
    stack: Stack, sites: tuple[Site, Site, Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Pipeline]:
    allowed, _, _ = sites
    config = yaml.safe_load((ROOT / "config" / "leadrelay.example.yaml").read_text())
    config["forms"] = [
        {"id": "contact", "allowed_origins": [allowed.origin], "redirect_url": f"{allowed.origin}/thanks.html"}
    ]
    path = tmp_path_factory.mktemp("config") / "leadrelay.yaml"
    path.write_text(yaml.safe_dump(config))
    with run_pipeline(stack, ROOT / ".local" / "test-logs" / "e2e-browser", config=path) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    with chromium(SHOTS) as chrome:
        yield chrome


async def test_form_post_from_the_allowed_site_is_routed_and_other_origins_are_refused(
    form_pipeline: Pipeline, sites: tuple[Site, Site, Path], browser: webdriver.Chrome
) -> None:
    allowed, other, root = sites
    (root / "form.html").write_text(FORM_PAGE.format(capture=form_pipeline.capture))
    (root / "thanks.html").write_text("<!doctype html><title>Thanks</title><h1 id=thanks>Thanks, we will call you</h1>")
    tag = uuid.uuid4().hex[:10]

    browser.get(f"{allowed.origin}/form.html")
    browser.find_element(By.ID, "email").send_keys(f"visitor+{tag}@initech.com")
    browser.find_element(By.ID, "name").send_keys("Vera Visitor")
    browser.find_element(By.ID, "title").send_keys("VP Engineering")
    browser.save_screenshot(str(SHOTS / "1-form-filled.png"))
    browser.find_element(By.ID, "send").click()
    WebDriverWait(browser, 15).until(lambda b: b.current_url.endswith("/thanks.html"))
    browser.save_screenshot(str(SHOTS / "2-redirected.png"))
    assert browser.find_element(By.ID, "thanks").text.startswith("Thanks")
    [alert] = (await alerts_for(form_pipeline.slack, {tag}))[tag]
    assert "Vera Visitor" in str(alert["body"]) and "contact" in str(alert["body"])

    browser.get(f"{allowed.origin}/form.html")
    browser.execute_script(f"sendJson('fetch+{tag}@initech.com')")
    WebDriverWait(browser, 15).until(lambda b: b.find_element(By.ID, "result").text)
    assert browser.find_element(By.ID, "result").text.startswith("status 202"), "fetch from the allowed site"

    blocked = f"blocked+{tag}@initech.com"
    browser.get(f"{other.origin}/form.html")
    browser.execute_script(f"sendJson('{blocked}')")
    WebDriverWait(browser, 15).until(lambda b: b.find_element(By.ID, "result").text)
    browser.save_screenshot(str(SHOTS / "3-other-origin-fetch-blocked.png"))
    assert browser.find_element(By.ID, "result").text.startswith("blocked"), "CORS refuses the other origin"
    browser.find_element(By.ID, "email").send_keys(blocked)
    browser.find_element(By.ID, "send").click()
    WebDriverWait(browser, 15).until(lambda b: "origin_not_allowed" in b.page_source)
    browser.save_screenshot(str(SHOTS / "4-other-origin-post-refused.png"))

    await asyncio.sleep(2)
    async with httpx.AsyncClient() as http:
        messages = (await http.get(f"{form_pipeline.slack}/_standin/messages")).json()
    assert not any(blocked in str(m["body"]) for m in messages), "nothing from the other origin was routed"
