"""The compose file and the image cannot run here as containers (no Docker engine): check what can
be checked without running them. tests/e2e/test_compose.py runs compose's services as processes and
tests/integration/test_helm_chart.py renders the Helm chart."""

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from shared.settings import ROOT
from shared.topics import Topic
from tests.support.deploy_vars import KNOWN_VARS

DEPLOY = ROOT / "deploy"
FILES = [DEPLOY / "compose.yaml"]


def documents(path: Path) -> list[Any]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d is not None]


def walk(node: Any) -> list[Any]:
    found = [node]
    if isinstance(node, dict):
        for value in node.values():
            found += walk(value)
    elif isinstance(node, list):
        for value in node:
            found += walk(value)
    return found


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_manifest_names_only_what_exists(path: Path) -> None:
    docs = documents(path)
    assert docs
    text = path.read_text()
    for var in set(re.findall(r"\bLEADRELAY_[A-Z_]+\b", text)):
        assert var in KNOWN_VARS, f"{path.name} names {var}, which no settings class reads"
    for module in re.findall(r"services\.([a-z_]+)", text):
        assert (ROOT / "services" / module / "__main__.py").exists(), f"{path.name}: no services.{module}"
    for node in walk(docs):
        if isinstance(node, dict) and node.get("type") == "kafka":
            meta = node["metadata"]
            assert meta["topic"] in {t.value for t in Topic}
            assert (ROOT / "services" / meta["consumerGroup"] / "handler.py").exists()


def test_dockerfile_copies_what_exists() -> None:
    for source in re.findall(r"^COPY (?!--from)(.+) \S+$", (DEPLOY / "Dockerfile").read_text(), flags=re.MULTILINE):
        for item in source.split():
            assert (ROOT / item).exists(), f"Dockerfile copies missing {item}"


def test_compose_waits_on_health_and_runs_the_exporters() -> None:
    [compose] = documents(DEPLOY / "compose.yaml")
    services = compose["services"]
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("kafka", "postgres", "capture", "enrich", "score", "route", "notify", "lag-exporter"):
        assert "healthcheck" in services[name], f"{name} has no healthcheck"
    assert services["topics"]["depends_on"]["kafka"]["condition"] == "service_healthy"
    assert services["capture"]["depends_on"]["topics"]["condition"] == "service_completed_successfully"
    assert services["topics"]["command"] == ["leadrelay", "topics", "apply"]
    assert "kafka-exporter" in services and services["lag-exporter"]["command"][:3] == ["leadrelay", "lag", "--serve"]


def test_the_image_holds_runtime_dependencies_only_and_checks_its_health() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert dockerfile.count("FROM ") == 2, "a build stage and a slim final stage"
    assert "HEALTHCHECK" in dockerfile and "/healthz" in dockerfile
    assert "standins" not in re.findall(r"^COPY (.+)$", dockerfile, flags=re.MULTILINE).__str__()
    runtime = dict(
        line.split("==") for line in (ROOT / "requirements-runtime.lock").read_text().splitlines() if "==" in line
    )
    full = dict(line.split("==") for line in (ROOT / "requirements.lock").read_text().splitlines() if "==" in line)
    assert not {"pytest", "mypy", "ruff", "selenium", "schemathesis", "hypothesis"} & set(runtime)
    assert all(full.get(name) == version for name, version in runtime.items()), "the runtime lock follows the full lock"
