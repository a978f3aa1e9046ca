"""No configured secret ever reaches a log line: a pipeline of its own runs a Typeform lead, a Meta Lead
Ads notification (whose Graph read fails, so errors are logged), an account lead alerted by Slack, SMS
and email, a Slack click, a claim link and bad-key requests; then every log file is searched for every
secret in the environment and in the config."""

import asyncio
import base64
import hashlib
import hmac
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from shared.business.loader import load_config
from shared.secret_policy import config_secrets
from tests.e2e.test_claim import TYPEFORM_SECRET, typeform_submission
from tests.e2e.test_webhook_to_slack import alerts_for
from tests.support.pipeline import SLACK_SIGNING_SECRET, TWILIO_TOKEN, Pipeline, run_pipeline
from tests.support.stack import INTAKE, INTAKE_KEY, NOTIFY_KEY, OPS_KEY, ROOT, Stack

CONFIG = load_config(ROOT / "config" / "leadrelay.example.yaml")


@pytest.fixture(scope="module")
def logged(stack: Stack) -> Iterator[tuple[Pipeline, Path]]:
    log_dir = ROOT / ".local" / "test-logs" / f"secrets-{uuid.uuid4().hex[:8]}"
    with run_pipeline(stack, log_dir) as running:
        yield running, log_dir


async def test_no_secret_appears_in_any_log(logged: tuple[Pipeline, Path]) -> None:
    pipeline, log_dir = logged
    tag = uuid.uuid4().hex[:10]
    meta_secret = next(s.secret.get_secret_value() for s in CONFIG.sources if s.id == "facebook")
    notification = orjson.dumps(
        {"object": "page", "entry": [{"changes": [{"field": "leadgen", "value": {"leadgen_id": "4440001"}}]}]}
    )
    async with httpx.AsyncClient(timeout=15) as http:
        body = typeform_submission(tag)
        digest = base64.b64encode(hmac.new(TYPEFORM_SECRET.encode(), body, hashlib.sha256).digest()).decode()
        await http.post(
            f"{pipeline.capture}/v1/webhooks/typeform",
            content=body,
            headers={"Typeform-Signature": f"sha256={digest}", "Content-Type": "application/json"},
        )
        await http.post(
            f"{pipeline.capture}/v1/webhooks/facebook",
            content=notification,
            headers={
                "X-Hub-Signature-256": "sha256="
                + hmac.new(meta_secret.encode(), notification, hashlib.sha256).hexdigest(),
                "Content-Type": "application/json",
            },
        )
        await http.post(
            f"{pipeline.capture}/v1/webhooks/generic",
            json={"email": f"hank+{tag}@globex.com", "name": "Hank Scorpio", "title": "CEO"},
            headers=INTAKE,
        )
        await http.post(f"{pipeline.capture}/v1/webhooks/generic", json={}, headers={"X-API-Key": "wrong-key"})
        alerts = await alerts_for(pipeline.slack, {tag})
        alert = alerts[tag][0]
        await http.post(f"{pipeline.slack}/_standin/click", json={"ts": alert["ts"], "user_id": alert["channel"]})
        link = re.search(r"<(http[^|>]+/v1/claims/[^|>]+)\|Claim link>", orjson.dumps(alert["body"]).decode())
        if link:
            await http.get(link.group(1))
        await asyncio.sleep(3)
    secrets = {
        "intake key": INTAKE_KEY,
        "ops key": OPS_KEY,
        "notify key": NOTIFY_KEY,
        "slack signing secret": SLACK_SIGNING_SECRET,
        "twilio auth token": TWILIO_TOKEN,
        "claim link secret": "test-claim-link-secret",
        "slack bot token": "xoxb-local-test",
        **dict(config_secrets(CONFIG)),
    }
    logs = {p.name: p.read_text(errors="replace") for p in log_dir.glob("*.log")}
    assert {"capture.log", "notify.log", "route.log"} <= set(logs), sorted(logs)
    leaked = [(name, file) for name, value in secrets.items() for file, text in logs.items() if value in text]
    assert leaked == [], f"secrets found in logs: {leaked}"
