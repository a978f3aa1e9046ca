"""One lead is one trace across the five services: capture's HTTP intake span, a span per stage
joined through the Kafka headers (and the outbox and delivery rows), database spans, and notify's
Slack call, all exported over OTLP/HTTP to a collector stand-in."""

import time
import uuid
from collections import Counter
from typing import Any

import httpx

from tests.support.inprocess import free_port
from tests.support.pipeline import run_pipeline
from tests.support.processes import PYTHON, Proc
from tests.support.stack import INTAKE, ROOT, Stack

LOGS = ROOT / ".local" / "test-logs" / "tracing"


def spans_of_trace(collector: str, trace_id: str) -> list[dict[str, Any]]:
    spans: list[dict[str, Any]] = httpx.get(f"{collector}/_standin/spans").json()
    return [s for s in spans if s["trace_id"] == trace_id]


def test_one_lead_is_one_trace_from_webhook_to_slack(stack: Stack) -> None:
    port = free_port()
    collector = f"http://127.0.0.1:{port}"
    otlp = Proc("otlp-standin", [PYTHON, "-m", "standins.otlp", "--port", str(port)], stack.env(), LOGS / "otlp.log")
    otlp.start()
    try:
        otlp.wait_ready(f"{collector}/_standin/spans")
        env = {"LEADRELAY_OTLP_ENDPOINT": f"{collector}/v1/traces", "OTEL_BSP_SCHEDULE_DELAY": "200"}
        with run_pipeline(stack, LOGS, extra_env=env) as pipeline:
            tag = uuid.uuid4().hex[:10]
            lead = {"email": f"traced+{tag}@hooli.com", "name": "Traced Lead", "title": "VP Sales"}
            response = httpx.post(f"{pipeline.capture}/v1/webhooks/generic", json=lead, headers=INTAKE)
            assert response.status_code == 202, response.text
            deadline, found = time.monotonic() + 60, []
            while time.monotonic() < deadline:
                spans = httpx.get(f"{collector}/_standin/spans").json()
                intake = [
                    s
                    for s in spans
                    if s["service"] == "leadrelay-capture"
                    and s["kind"] == "server"
                    and "/v1/webhooks/generic" in s["name"]
                ]
                if intake:
                    found = spans_of_trace(collector, intake[-1]["trace_id"])
                    if any(s["name"] == "notify send slack" for s in found):
                        break
                time.sleep(0.3)
    finally:
        otlp.stop()

    by_service = Counter(s["service"] for s in found)
    assert set(by_service) >= {f"leadrelay-{n}" for n in ("capture", "enrich", "score", "route", "notify")}, by_service
    names = {(s["service"], s["name"]) for s in found}
    for stage in ("enrich", "score", "route", "notify"):
        assert (f"leadrelay-{stage}", f"{stage} process") in names, names
    send = next(s for s in found if s["name"] == "notify send slack")
    slack_calls = [s for s in found if s["kind"] == "client" and s["parent_span_id"] == send["span_id"]]
    assert slack_calls, "the Slack API call is a child of the send span"
    assert any(
        s["service"] == "leadrelay-capture" and s["kind"] == "client" and s["name"] != "notify send slack"
        for s in found
    ), "capture's database statements are in the trace"
    ids = {s["span_id"] for s in found}
    orphans = [s for s in found if s["parent_span_id"] and s["parent_span_id"] not in ids]
    assert not orphans, f"every span's parent is in the same trace: {[(o['service'], o['name']) for o in orphans]}"
