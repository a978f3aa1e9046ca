"""The sales-ops console in a real browser (Debian's chromium driven by selenium) against the whole
pipeline with insights: log in, follow a lead from the live feed to its page and its "why", pause the
rep round robin would pick next and see the next lead skip them, open the speed-to-lead report, and
as a rep see only one's own leads and claim one. Screenshots go to .local/test-logs/console/."""

import uuid
from collections.abc import Callable, Iterator

import httpx
import pytest
from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.e2e.test_webhook_to_slack import alerts_for
from tests.support.browser import chromium
from tests.support.pipeline import Pipeline, run_pipeline
from tests.support.stack import ALICE_KEY, INTAKE, OPS, OPS_KEY, ROOT, Stack

SHOTS = ROOT / ".local" / "test-logs" / "console"
CHANGING = (StaleElementReferenceException, NoSuchElementException, WebDriverException)
"""A page reloading under a wait: the element is gone, stale, or chromium's node left the document."""
SLACK_IDS = {"U01ALICE": "alice", "U01BRUNO": "bruno", "U01CHEN": "chen"}


@pytest.fixture(scope="module")
def console_pipeline(stack: Stack) -> Iterator[Pipeline]:
    with run_pipeline(stack, ROOT / ".local" / "test-logs" / "e2e-console", insights=True) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    with chromium(SHOTS, size="1280,1000") as chrome:
        yield chrome


async def post_lead(p: Pipeline, tag: str, name: str) -> tuple[str, str]:
    """A sales-ready lead; returns its id and the rep its Slack alert went to."""
    lead = {"email": f"{tag}@initech.com", "name": name, "title": "VP of Engineering", "utm_campaign": "console"}
    async with httpx.AsyncClient() as http:
        response = await http.post(f"{p.capture}/v1/webhooks/generic", json=lead, headers=INTAKE)
    assert response.status_code == 202, response.text
    [alert] = (await alerts_for(p.slack, {tag}))[tag]
    return response.json()["lead_id"], SLACK_IDS[alert["channel"]]


def until(browser: webdriver.Chrome, url: str, found: Callable[[webdriver.Chrome], bool], seconds: float = 20) -> None:
    """Reload `url` until `found` holds (the read model follows the topics within a second or so)."""

    def check(b: webdriver.Chrome) -> bool:
        b.get(url)
        return found(b)

    WebDriverWait(browser, seconds, poll_frequency=0.5, ignored_exceptions=CHANGING).until(check)


def click_link(browser: webdriver.Chrome, text: str) -> None:
    """Click a link in the live table, which live.js re-renders every 2 s (retry a stale element)."""

    def clicked(b: webdriver.Chrome) -> bool:
        b.find_element(By.LINK_TEXT, text).click()
        return True

    WebDriverWait(browser, 10, ignored_exceptions=CHANGING).until(clicked)


def log_in(browser: webdriver.Chrome, console: str, key: str) -> None:
    browser.get(f"{console}/console")
    assert browser.current_url.endswith("/console/login"), "no session: the console sends you to log in"
    browser.find_element(By.ID, "key").send_keys(key)
    browser.find_element(By.ID, "login").click()
    WebDriverWait(browser, 10, ignored_exceptions=CHANGING).until(lambda b: b.current_url.endswith("/console"))


def log_out(browser: webdriver.Chrome) -> None:
    browser.find_element(By.CSS_SELECTOR, "form.who button").click()
    WebDriverWait(browser, 10, ignored_exceptions=CHANGING).until(lambda b: b.current_url.endswith("/console/login"))


async def set_paused(p: Pipeline, rep: str, paused: bool) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.post(f"{p.route}/v1/reps/{rep}/{'pause' if paused else 'resume'}", headers=OPS)
    assert response.status_code == 200, response.text


async def test_console_login_lead_trace_pause_report_and_rep_claim(
    console_pipeline: Pipeline, browser: webdriver.Chrome
) -> None:
    p, console = console_pipeline, console_pipeline.insights
    tag = uuid.uuid4().hex[:10]
    first_id, _ = await post_lead(p, f"first-{tag}", "Dana First")

    log_in(browser, console, OPS_KEY)
    until(browser, f"{console}/console", lambda b: "Dana First" in b.find_element(By.ID, "live").text)
    browser.save_screenshot(str(SHOTS / "1-live.png"))
    click_link(browser, "Dana First")
    WebDriverWait(browser, 10, ignored_exceptions=CHANGING).until(
        lambda b: f"/console/leads/{first_id}" in b.current_url
    )
    lead_url = f"{console}/console/leads/{first_id}"
    until(browser, lead_url, lambda b: "slack alert" in b.find_element(By.ID, "timeline").text)
    timeline = browser.find_element(By.ID, "timeline").text
    for expected in (
        "Captured from website",
        "Enriched: company Initech",
        "Senior decision-maker title",
        "Assigned to",
    ):
        assert expected in timeline, expected
    assert "sent" in browser.find_element(By.ID, "alerts").text
    browser.save_screenshot(str(SHOTS / "2-lead-why.png"))

    browser.get(f"{console}/console/rules")
    browser.find_element(By.ID, "sim-email").send_keys(f"next-{tag}@initech.com")
    browser.find_element(By.ID, "simulate").click()
    upcoming = WebDriverWait(browser, 10, ignored_exceptions=CHANGING).until(
        lambda b: b.find_element(By.ID, "sim-rep").text
    )
    assert upcoming in SLACK_IDS.values()
    browser.save_screenshot(str(SHOTS / "3-simulate.png"))

    browser.get(f"{console}/console/reps")
    try:
        browser.find_element(By.ID, f"pause-{upcoming}").click()
        WebDriverWait(browser, 10, ignored_exceptions=CHANGING).until(
            lambda b: "paused" in b.find_element(By.ID, f"rep-{upcoming}").text
        )
        browser.save_screenshot(str(SHOTS / "4-rep-paused.png"))
        second_id, second_rep = await post_lead(p, f"second-{tag}", "Sam Second")
        assert second_rep != upcoming, f"{upcoming} is paused, yet got the next lead"
        until(browser, f"{console}/console/leads/{second_id}", lambda b: "Assigned to" in b.page_source)
        assert f"{upcoming}: skipped, paused" in browser.find_element(By.ID, "timeline").text
        browser.save_screenshot(str(SHOTS / "5-next-lead-skipped-paused-rep.png"))
        browser.get(f"{console}/console/reps")
        browser.find_element(By.ID, f"resume-{upcoming}").click()
        WebDriverWait(browser, 10, ignored_exceptions=CHANGING).until(
            lambda b: "yes" in b.find_element(By.ID, f"rep-{upcoming}").text
        )
    finally:
        await set_paused(p, upcoming, False)

    browser.get(f"{console}/console/reports")
    assert int(browser.find_element(By.ID, "speed-leads").text) >= 2
    assert browser.find_element(By.ID, "within-5").text.endswith("%")
    assert "Webhook to claim, by rep" in browser.page_source
    browser.save_screenshot(str(SHOTS / "6-speed-to-lead-report.png"))
    log_out(browser)

    others = [r for r in SLACK_IDS.values() if r != "alice"]
    try:
        for rep in others:
            await set_paused(p, rep, True)
        third_id, third_rep = await post_lead(p, f"third-{tag}", "Tess Third")
    finally:
        for rep in others:
            await set_paused(p, rep, False)
    assert third_rep == "alice"
    log_in(browser, console, ALICE_KEY)
    until(browser, f"{console}/console", lambda b: "Tess Third" in b.find_element(By.ID, "live").text)
    assert "Sam Second" not in browser.find_element(By.ID, "live").text or second_rep == "alice"
    browser.get(f"{console}/console/reps")
    assert "this page is for sales ops" in browser.page_source, "a rep does not see the reps page"
    browser.get(f"{console}/console/leads/{third_id}")
    browser.find_element(By.ID, "claim").click()
    WebDriverWait(browser, 10, ignored_exceptions=CHANGING).until(lambda b: b.find_elements(By.ID, "claimed"))
    until(browser, f"{console}/console/leads/{third_id}", lambda b: "Claimed by alice via console" in b.page_source)
    browser.save_screenshot(str(SHOTS / "7-rep-claimed.png"))


async def test_ops_review_what_a_visitor_typed_about_a_known_person(
    console_pipeline: Pipeline, browser: webdriver.Chrome
) -> None:
    """A website form with a known person's email and another phone changes nothing; the lead page
    lists the proposed phone under "Needs review", and ops accept it in the browser."""
    p, console = console_pipeline, console_pipeline.insights
    tag = uuid.uuid4().hex[:10]
    lead_id, _ = await post_lead(p, f"review-{tag}", "Rhea Review")
    async with httpx.AsyncClient() as http:
        form = await http.post(
            f"{p.capture}/v1/forms/contact",
            data={"email": f"review-{tag}@initech.com", "phone": "+14155550999", "company": "Not Initech"},
            headers={"Origin": "http://127.0.0.1:8090"},
        )
    assert form.status_code in (200, 202, 303), form.text
    browser.get(f"{console}/console")
    if not browser.current_url.endswith("/console/login"):
        log_out(browser)  # the session an earlier test left
    log_in(browser, console, OPS_KEY)
    lead_url = f"{console}/console/leads/{lead_id}"
    until(browser, lead_url, lambda b: bool(b.find_elements(By.ID, "review-list")))
    listed = browser.find_element(By.ID, "review-list").text
    assert "+14155550999" in listed and "Not Initech" in listed and "contact" in listed
    browser.save_screenshot(str(SHOTS / "8-needs-review.png"))
    row = browser.find_element(By.CSS_SELECTOR, "tr.review-pending[data-field='phone']")
    row.find_element(By.CSS_SELECTOR, "button.accept").click()
    WebDriverWait(browser, 10, ignored_exceptions=CHANGING).until(lambda b: b.find_elements(By.ID, "reviewed"))
    accepted = browser.find_element(By.CSS_SELECTOR, "tr.review-accepted[data-field='phone']").text
    assert "accepted by console:ops" in accepted
    assert browser.find_elements(By.CSS_SELECTOR, "tr.review-pending[data-field='company']"), "the other waits"
    until(browser, lead_url, lambda b: "review:console" in b.find_element(By.ID, "timeline").text)
    browser.save_screenshot(str(SHOTS / "9-review-accepted.png"))
    log_out(browser)


async def test_console_refuses_hostile_and_unauthenticated_requests_without_changing_anything(
    console_pipeline: Pipeline,
) -> None:
    p, console = console_pipeline, console_pipeline.insights
    async with httpx.AsyncClient(base_url=console, follow_redirects=False) as anonymous:
        response = await anonymous.get("/console")
        assert response.status_code == 303 and response.headers["location"] == "/console/login"
        assert (await anonymous.get("/console/live.json")).status_code == 303, "no rows without a session"
        assert (await anonymous.get("/console/static/..%2F..%2Fconsole.py")).status_code == 404
        assert (await anonymous.get("/console/static/console.css")).status_code == 200
        response = await anonymous.post("/console/reps/alice/pause", data={"csrf": "x"})
        assert response.status_code == 303, "no session: sent to log in, nothing done"
        response = await anonymous.post("/console/login", data={"key": "k" * 5000})
        assert response.status_code == 422 and response.json()["fields"][0]["field"] == "key"
        assert (await anonymous.post("/console/login", data={"key": "not-a-key-0123456789"})).status_code == 401
        assert (await anonymous.post("/console/login", data={"key": INTAKE["X-API-Key"]})).status_code == 401
        anonymous.cookies.set("leadrelay_console", "eyJrIjoib3BzIiwiZXhwIjo5OTk5OTk5OTk5LCJjc3JmIjoieCJ9.forged")
        response = await anonymous.get("/console/reports")
        assert response.status_code == 303, "a cookie not signed by us is no session"

    async with httpx.AsyncClient(base_url=console, follow_redirects=False) as ops:
        login = await ops.post("/console/login", data={"key": OPS_KEY})
        assert login.status_code == 303 and "httponly" in login.headers["set-cookie"].lower()
        assert "samesite=strict" in login.headers["set-cookie"].lower()
        response = await ops.post("/console/reps/alice/pause", data={"csrf": "not-the-token"})
        assert response.status_code == 403
        assert (await ops.post("/console/reps/%3Cx%3E/pause", data={"csrf": "x"})).status_code == 422
        assert (await ops.post("/console/reps/alice/delete", data={"csrf": "x"})).status_code == 422
        assert (await ops.get("/console/leads/not-a-uuid")).status_code == 422
        assert (await ops.get("/console/reports", params={"start": "2026-13-01"})).status_code == 422
        bad_range = await ops.get("/console/reports", params={"start": "2026-03-02", "end": "2026-03-01"})
        assert bad_range.status_code == 422 and "end is before start" in bad_range.text
        csv = await ops.get("/console/reports/funnel.csv")
        assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
        assert csv.text.splitlines()[0].startswith("dimension,key,captured,mql,sql,assigned,claimed")
    async with httpx.AsyncClient() as http:
        reps = (await http.get(f"{p.route}/v1/reps", headers=OPS)).json()["reps"]
    assert not next(r for r in reps if r["id"] == "alice")["paused"], "no request above paused anyone"

    async with httpx.AsyncClient(base_url=console, follow_redirects=False) as rep:
        assert (await rep.post("/console/login", data={"key": ALICE_KEY})).status_code == 303
        assert (await rep.get("/console/reports")).status_code == 403
        someone_elses = await post_lead(p, f"notalice-{uuid.uuid4().hex[:8]}", "Nora Notalice")
        if someone_elses[1] != "alice":
            assert (await rep.get(f"/console/leads/{someone_elses[0]}")).status_code == 404

    async with httpx.AsyncClient(base_url=console) as flood:
        codes = [
            (await flood.post("/console/login", data={"key": f"guess-{i:04d}-0123456789"})).status_code
            for i in range(12)
        ]
    assert 429 in codes, "login attempts are rate-limited per address"
