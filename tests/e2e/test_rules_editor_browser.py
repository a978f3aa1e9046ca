"""The Rules page as an editor, in a real browser (chromium + selenium) against the whole pipeline:
log in as ops, put an unknown rep in a pool and see the error inline at its line, add a real rep to a
pool instead, preview the impact (the diff names the rep), publish with a message, post a lead and
see it decided by the new version, roll back from the audit page, and find both versions listed
there with who published them. Screenshots go to .local/test-logs/rules-editor/."""

import uuid
from collections.abc import Iterator

import httpx
import pytest
import yaml
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from tests.e2e.test_console_browser import CHANGING, log_in
from tests.e2e.test_webhook_to_slack import alerts_for
from tests.support.browser import chromium
from tests.support.pipeline import Pipeline, run_pipeline
from tests.support.stack import ALICE_KEY, INTAKE, OPS, OPS_KEY, ROOT, Stack

SHOTS = ROOT / ".local" / "test-logs" / "rules-editor"


@pytest.fixture(scope="module")
def editor_pipeline(stack: Stack) -> Iterator[Pipeline]:
    with run_pipeline(stack, ROOT / ".local" / "test-logs" / "e2e-rules-editor", insights=True) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    with chromium(SHOTS, size="1280,1600") as chrome:
        yield chrome


async def post_lead(p: Pipeline, tag: str) -> str:
    lead = {"email": f"{tag}@initech.com", "name": "Rita Rules", "title": "VP of Engineering"}
    async with httpx.AsyncClient() as http:
        response = await http.post(f"{p.capture}/v1/webhooks/generic", json=lead, headers=INTAKE)
    assert response.status_code == 202, response.text
    await alerts_for(p.slack, {tag})
    return str(response.json()["lead_id"])


def type_draft(browser: webdriver.Chrome, text: str) -> None:
    """Replace the draft as a paste would, firing the input event the live check listens to."""
    area = browser.find_element(By.ID, "draft")
    browser.execute_script(
        "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'));", area, text
    )


def with_inbound(draft: str, members: list[str]) -> str:
    document = yaml.safe_load(draft)
    inbound = next(p for p in document["pools"] if p["id"] == "inbound")
    inbound["members"] = [{"rep": m, "weight": 1} for m in members]
    return yaml.safe_dump(document, sort_keys=False)


def text_of(browser: webdriver.Chrome, element_id: str) -> str:
    element: WebElement = browser.find_element(By.ID, element_id)
    return str(element.text)


async def test_ops_edit_preview_publish_and_roll_back_the_routing_in_the_console(
    editor_pipeline: Pipeline, browser: webdriver.Chrome
) -> None:
    p, console = editor_pipeline, editor_pipeline.insights
    for _ in range(3):
        await post_lead(p, f"before-{uuid.uuid4().hex[:8]}")
    wait = WebDriverWait(browser, 20, ignored_exceptions=CHANGING)

    log_in(browser, console, OPS_KEY)
    browser.get(f"{console}/console/rules")
    assert "the YAML file (0)" in text_of(browser, "version")
    original = browser.find_element(By.ID, "draft").get_attribute("value") or ""
    assert "inbound" in original and "sources" not in yaml.safe_load(original), "secrets stay in the file"

    type_draft(browser, with_inbound(original, ["alice", "bruno", "chen", "nobody"]))
    wait.until(lambda b: "nobody" in text_of(b, "draft-errors"))
    inline = text_of(browser, "draft-errors")
    assert "line " in inline and "pools.0.members.3.rep" in inline, inline
    browser.save_screenshot(str(SHOTS / "1-inline-error.png"))
    browser.find_element(By.ID, "preview").click()
    wait.until(lambda b: "nobody" in text_of(b, "draft-errors"))
    assert not browser.find_elements(By.ID, "impact"), "an invalid draft gets no preview"

    type_draft(browser, with_inbound(original, ["alice", "bruno", "chen", "maya"]))
    wait.until(lambda b: text_of(b, "draft-status").startswith("valid"))
    assert text_of(browser, "draft-errors") == ""
    browser.find_element(By.ID, "preview").click()
    wait.until(lambda b: b.find_element(By.ID, "impact").is_displayed())
    assert "pools.inbound.members.maya" in text_of(browser, "impact-diff")
    browser.save_screenshot(str(SHOTS / "2-preview.png"))

    browser.find_element(By.ID, "message").send_keys("maya joins inbound")
    browser.find_element(By.ID, "publish").click()
    wait.until(lambda b: "published=" in b.current_url)
    published = int(browser.current_url.rsplit("=", 1)[1])
    assert text_of(browser, "version") == str(published)
    browser.save_screenshot(str(SHOTS / "3-published.png"))

    tag = f"after-{uuid.uuid4().hex[:8]}"
    lead_id = await post_lead(p, tag)
    async with httpx.AsyncClient() as http:
        trace = (await http.get(f"{p.route}/v1/leads/{lead_id}/routing", headers=OPS)).json()
    assert [d["config_version"] for d in trace["decisions"]] == [published], trace

    browser.get(f"{console}/console/audit")
    browser.find_element(By.ID, "restore-0").click()
    wait.until(lambda b: "restored=" in b.current_url)
    restored = int(browser.current_url.rsplit("=", 1)[1])
    rows = {v: text_of(browser, f"version-{v}") for v in (published, restored)}
    assert "maya joins inbound" in rows[published] and "console for ops" in rows[published]
    assert "roll back to the YAML file" in rows[restored] and "pools.inbound.members.maya" in rows[restored]
    browser.save_screenshot(str(SHOTS / "4-audit.png"))
    browser.get(f"{console}/console/rules")
    assert text_of(browser, "version") == str(restored)


async def test_the_editor_refuses_hostile_and_unauthenticated_requests_without_publishing(
    editor_pipeline: Pipeline,
) -> None:
    p, console = editor_pipeline, editor_pipeline.insights

    async def versions() -> int:
        async with httpx.AsyncClient() as http:
            return len((await http.get(f"{p.route}/v1/config/versions", headers=OPS)).json()["versions"])

    before = await versions()
    draft = {"draft": "reps: []", "message": "sneaky", "csrf": "x"}
    async with httpx.AsyncClient(base_url=console, follow_redirects=False) as anonymous:
        assert (await anonymous.post("/console/rules/publish", data=draft)).status_code == 303
        assert (await anonymous.post("/console/rules/restore/0", data=draft)).status_code == 303
        assert (await anonymous.get("/console/audit")).status_code == 303
    async with httpx.AsyncClient(base_url=console, follow_redirects=False) as ops:
        assert (await ops.post("/console/login", data={"key": OPS_KEY})).status_code == 303
        assert (await ops.post("/console/rules/publish", data=draft)).status_code == 403, "csrf"
        assert (await ops.post("/console/rules/check", json={"csrf": "x", "draft": "a: 1"})).status_code == 403
        assert (await ops.post("/console/rules/check", content=b"not json")).status_code == 422
        huge = {**draft, "draft": "x" * 200_001}
        assert (await ops.post("/console/rules/preview", data=huge)).status_code == 422
        assert (await ops.post("/console/rules/restore/-1", data=draft)).status_code == 422
    async with httpx.AsyncClient(base_url=console, follow_redirects=False) as rep:
        assert (await rep.post("/console/login", data={"key": ALICE_KEY})).status_code == 303
        assert (await rep.get("/console/rules")).status_code == 403
        assert (await rep.post("/console/rules/publish", data=draft)).status_code == 403
    assert await versions() == before, "nothing above published a version"
