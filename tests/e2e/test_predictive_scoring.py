"""Predictive scoring on the whole pipeline. Before any outcome, scoring is rules only and every
score event says so. Then 120 leads get outcomes through /v1/events (won or lost, seniority being
the hidden signal); score retrains on its own, and the next lead's score event carries the model's
version and probability, its score reasons and its Slack alert show the probability and drivers, and
`leadrelay model report` prints the holdout AUC against the rules alone."""

import asyncio
import random
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson
import pytest
import yaml

from tests.e2e.test_webhook_to_slack import alerts_for
from tests.support.kafka_io import read_topic
from tests.support.pipeline import Pipeline, run_pipeline
from tests.support.stack import CRM, INTAKE, ROOT, Stack

LABELLED = 120


def model_config() -> Path:
    config: dict[str, Any] = yaml.safe_load((ROOT / "config" / "leadrelay.example.yaml").read_text())
    config["scoring"]["model"] = {
        "min_outcomes": 100,
        "retrain_minutes": 0.05,
        "require_better_than_rules": False,
        "blend": 0.5,
    }
    path = ROOT / ".local" / "test-logs" / "predictive.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


async def _forget_models(stack: Stack) -> None:
    """Models live in the shared test database: none may stay active for the tests that follow."""
    conn = await asyncpg.connect(stack.dsn)
    try:
        await conn.execute("DELETE FROM score.models")
        await conn.execute("DELETE FROM score.activities WHERE kind IN ('won', 'lost', 'converted')")
    finally:
        await conn.close()


@pytest.fixture(scope="module")
def predictive(stack: Stack) -> Iterator[tuple[Pipeline, Path]]:
    asyncio.run(_forget_models(stack))
    config = model_config()
    paces = '{"slack": {"per_second": 0}}'
    try:
        with run_pipeline(stack, ROOT / ".local" / "test-logs" / "e2e-predictive", config=config, paces=paces) as p:
            yield p, config
    finally:
        asyncio.run(_forget_models(stack))


async def scored_events(p: Pipeline, lead_id: str, want: int = 1) -> list[dict[str, Any]]:
    def mine(records: list[Any]) -> list[dict[str, Any]]:
        return [e for r in records if (e := orjson.loads(r.value))["lead_id"] == lead_id]

    records = await read_topic(f"{p.topic_prefix}lead.scored", lambda rs: len(mine(rs)) >= want)
    return mine(records)


async def test_outcomes_train_a_model_that_scores_and_explains_the_next_lead(
    predictive: tuple[Pipeline, Path], stack: Stack
) -> None:
    p, config = predictive
    tag = uuid.uuid4().hex[:8]
    rng = random.Random(5)
    async with httpx.AsyncClient(timeout=30) as http:
        before = await http.post(
            f"{p.capture}/v1/webhooks/generic",
            json={"email": f"first.{tag}@initech.com", "name": "Fay First", "title": "VP of Engineering"},
            headers=INTAKE,
        )
        [first] = await scored_events(p, before.json()["lead_id"])
        assert first["data"]["model_version"] == "rules" and first["data"]["prediction"] is None

        for i in range(LABELLED):
            senior = i % 2 == 0
            email = f"t{i}.{tag}@gmail.com"
            lead = {"email": email, "name": f"Train {i}", "title": "Director of IT" if senior else "Analyst"}
            assert (await http.post(f"{p.capture}/v1/webhooks/generic", json=lead, headers=INTAKE)).status_code == 202
            won = rng.random() < (0.85 if senior else 0.15)
            outcome = {"kind": "won" if won else "lost", "email": email}
            assert (await http.post(f"{p.capture}/v1/events", json=outcome, headers=CRM)).status_code == 202

        conn = await asyncpg.connect(stack.dsn)
        try:
            async with asyncio.timeout(60):
                while (version := await conn.fetchval("SELECT version FROM score.models WHERE active")) is None:
                    await asyncio.sleep(0.5)
        finally:
            await conn.close()
        await asyncio.sleep(6)

        after = await http.post(
            f"{p.capture}/v1/webhooks/generic",
            json={"email": f"next.{tag}@initech.com", "name": "Ned Next", "title": "VP of Engineering"},
            headers=INTAKE,
        )
        [scored] = await scored_events(p, after.json()["lead_id"])
        [alert] = (await alerts_for(p.slack, {f"next.{tag}"}))[f"next.{tag}"]

    data = scored["data"]
    print(data["model_version"], data["prediction"], data["total"])
    assert data["model_version"].startswith("m") and 0 <= data["prediction"]["probability"] <= 1
    assert data["prediction"]["drivers"], "the top drivers come with the probability"
    [line] = [c for c in data["contributions"] if c["rule_id"] == "model"]
    assert "likely to convert" in line["why"] and data["model_version"] in line["why"]
    assert "likely to convert" in str(alert["body"]["blocks"]), "the alert shows the probability and drivers"

    report = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "leadrelay"), "model", "report"],
        env=stack.env(LEADRELAY_CONFIG=str(config)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    print(report.stdout)
    assert report.returncode == 0, report.stdout + report.stderr
    assert "holdout AUC   model" in report.stdout and "rules only" in report.stdout
    assert version is not None
