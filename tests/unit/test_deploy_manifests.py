"""The production deploy files cannot run here (no Docker engine, no cluster): check what can be
checked. Every file parses; every service, command, topic, consumer group and LEADRELAY_ variable
they name exists in the code."""

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.capture.config import CaptureSettings
from services.enrich.config import EnrichSettings
from services.notify.config import NotifySettings
from services.route.config import RouteSettings
from services.score.config import ScoreSettings
from shared.settings import ROOT
from shared.topics import Topic

DEPLOY = ROOT / "deploy"
FILES = [DEPLOY / "docker-compose.yml", *sorted((DEPLOY / "k8s").glob("*.yaml"))]
SETTINGS = (CaptureSettings, EnrichSettings, ScoreSettings, RouteSettings, NotifySettings)
KNOWN_VARS = {f"LEADRELAY_{name.upper()}" for cls in SETTINGS for name in cls.model_fields}


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
    for source in re.findall(r"^COPY (.+) \S+$", (DEPLOY / "Dockerfile").read_text(), flags=re.MULTILINE):
        for item in source.split():
            assert (ROOT / item).exists(), f"Dockerfile copies missing {item}"
