"""Observability run, not only written: Debian's Prometheus scrapes every service's /metrics and the
lag exporter with the configured credential (a bearer key with ops:read, as the chart's
ServiceMonitor does), loads deploy/observability/alerts.yaml as shipped, and when route stops the
stage-down alert and then the lag alert go pending, read from Prometheus's own API. Every panel of
the Grafana dashboard is queried once against the same Prometheus."""

import json
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.support.inprocess import free_port
from tests.support.pipeline import Pipeline, run_pipeline
from tests.support.processes import PYTHON, Proc
from tests.support.stack import INTAKE, OPS_KEY, ROOT, Stack

LOGS = ROOT / ".local" / "test-logs" / "prometheus"
ALERTS = ROOT / "deploy" / "observability" / "alerts.yaml"
DASHBOARD = ROOT / "deploy" / "observability" / "grafana-dashboard.json"


@dataclass
class Monitored:
    pipeline: Pipeline
    prometheus: str
    jobs: set[str]


def prometheus_config(targets: dict[str, int], key_file: Path) -> dict[str, Any]:
    return {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s", "scrape_timeout": "1s"},
        "rule_files": [str(ALERTS)],
        "scrape_configs": [
            {
                "job_name": f"leadrelay-{name}",
                "authorization": {"type": "Bearer", "credentials_file": str(key_file)},
                "static_configs": [{"targets": [f"127.0.0.1:{port}"]}],
            }
            for name, port in targets.items()
        ],
    }


@pytest.fixture(scope="module")
def monitored(stack: Stack) -> Iterator[Monitored]:
    shutil.rmtree(LOGS, ignore_errors=True)
    LOGS.mkdir(parents=True)
    with run_pipeline(stack, LOGS, insights=True, outbound=True) as pipeline:
        lag_port = free_port()
        env = stack.env(LEADRELAY_TOPIC_PREFIX=pipeline.topic_prefix)
        exporter = Proc(
            "lag-exporter",
            [PYTHON, "-m", "services.cli", "lag", "--serve", str(lag_port), "--watch", "1"],
            env,
            LOGS / "lag-exporter.log",
        ).start()
        prom_port = free_port()
        key_file = LOGS / "scrape-key"
        key_file.write_text(OPS_KEY)
        targets = {**pipeline.ports, "lag-exporter": lag_port}
        (LOGS / "prometheus.yml").write_text(yaml.safe_dump(prometheus_config(targets, key_file)))
        log = (LOGS / "prometheus.log").open("wb")
        prometheus = subprocess.Popen(
            [
                shutil.which("prometheus") or "/usr/bin/prometheus",
                f"--config.file={LOGS / 'prometheus.yml'}",
                f"--storage.tsdb.path={LOGS / 'data'}",
                f"--web.listen-address=127.0.0.1:{prom_port}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        try:
            exporter.wait_ready(f"http://127.0.0.1:{lag_port}/healthz")
            url = f"http://127.0.0.1:{prom_port}"
            _wait(lambda: httpx.get(f"{url}/-/ready", timeout=2).status_code == 200, 60, "Prometheus ready")
            yield Monitored(pipeline, url, {f"leadrelay-{n}" for n in targets})
        finally:
            prometheus.terminate()
            prometheus.wait(30)
            exporter.stop()


def _wait(check: Any, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"not seen within {seconds:.0f}s: {what}")


def _targets(url: str) -> dict[str, str]:
    active = httpx.get(f"{url}/api/v1/targets", timeout=5).json()["data"]["activeTargets"]
    return {t["labels"]["job"]: t["health"] for t in active}


def _pending_or_firing(url: str, alert: str) -> list[dict[str, Any]]:
    alerts = httpx.get(f"{url}/api/v1/alerts", timeout=5).json()["data"]["alerts"]
    return [a for a in alerts if a["labels"]["alertname"] == alert and a["state"] in ("pending", "firing")]


def test_every_service_is_scraped_with_the_configured_credential(monitored: Monitored) -> None:
    _wait(lambda: set(_targets(monitored.prometheus).values()) == {"up"}, 60, "every target up")
    assert set(_targets(monitored.prometheus)) == monitored.jobs
    rules = httpx.get(f"{monitored.prometheus}/api/v1/rules", timeout=5).json()["data"]["groups"]
    loaded = {r["name"] for g in rules for r in g["rules"]}
    shipped = {r["alert"] for r in yaml.safe_load(ALERTS.read_text())["groups"][0]["rules"]}
    assert loaded == shipped, "Prometheus loaded deploy/observability/alerts.yaml as shipped"


def test_every_dashboard_panel_query_runs(monitored: Monitored) -> None:
    httpx.post(
        f"{monitored.pipeline.capture}/v1/webhooks/generic",
        json={"email": f"kofi+{uuid.uuid4().hex[:8]}@hooli.com", "title": "CTO", "source": "website"},
        headers=INTAKE,
    )
    panels = json.loads(DASHBOARD.read_text())["panels"]
    assert [t["legendFormat"].split()[0] for t in panels[0]["targets"]] == ["p50", "p90"]
    for panel in panels:
        for target in panel["targets"]:
            answer = httpx.get(f"{monitored.prometheus}/api/v1/query", params={"query": target["expr"]}, timeout=5)
            assert answer.status_code == 200 and answer.json()["status"] == "success", (panel["title"], answer.text)
    lag = httpx.get(f"{monitored.prometheus}/api/v1/query", params={"query": "leadrelay_consumer_lag_messages"})
    assert lag.json()["data"]["result"], "the lag exporter's series reach Prometheus"


def test_stopping_route_raises_stage_down_then_lag_alerts(monitored: Monitored) -> None:
    route = monitored.pipeline.services["route"]
    assert route.stop(), route.tail()
    try:
        _wait(lambda: _pending_or_firing(monitored.prometheus, "LeadrelayServiceDown"), 30, "LeadrelayServiceDown")
        [down] = _pending_or_firing(monitored.prometheus, "LeadrelayServiceDown")
        assert down["labels"]["job"] == "leadrelay-route"
        tag = uuid.uuid4().hex[:8]
        lead = {"email": f"wren+{tag}@hooli.com", "name": "Wren Ade", "title": "VP Sales", "source": "website"}
        assert (
            httpx.post(f"{monitored.pipeline.capture}/v1/webhooks/generic", json=lead, headers=INTAKE).status_code
            == 202
        )
        group = f"{monitored.pipeline.topic_prefix}route"
        _wait(
            lambda: any(
                a["labels"].get("group") == group
                for a in _pending_or_firing(monitored.prometheus, "LeadrelayStageFallingBehind")
            ),
            150,
            f"LeadrelayStageFallingBehind for {group}",
        )
    finally:
        route.start()
        route.wait_ready(f"http://127.0.0.1:{monitored.pipeline.ports['route']}/readyz")
