"""schemathesis against each service's OpenAPI, bounded: generated requests (with and without a valid
API key, hostile strings and NUL bytes included) must never get a 5xx. Runs the pipeline's own
processes, so the real database, broker and error handlers answer."""

import subprocess

import pytest

from tests.support.pipeline import Pipeline
from tests.support.stack import INTAKE_KEY, NOTIFY_KEY, OPS_KEY, ROOT

SCHEMATHESIS = str(ROOT / ".venv" / "bin" / "schemathesis")
LOGS = ROOT / ".local" / "test-logs" / "schemathesis"


def schemathesis_args(schema: str, examples: int) -> list[str]:
    """A bounded, deterministic run whose only check is that nothing answers 5xx."""
    return [
        *(SCHEMATHESIS, "run", schema, "--checks", "not_a_server_error"),
        *("--max-examples", str(examples), "--generation-deterministic", "--request-timeout", "10"),
        *("--max-failures", "5", "--phases", "examples,coverage,fuzzing"),
    ]


@pytest.mark.parametrize("service", ["capture", "route", "notify", "insights", "outbound"])
@pytest.mark.parametrize("key", ["anonymous", "intake", "ops", "claim"])
def test_no_5xx_from_generated_requests(pipeline: Pipeline, service: str, key: str) -> None:
    args = schemathesis_args(f"{getattr(pipeline, service)}/openapi.json", 25)
    args += ["--generation-allow-x00", "true"]
    keys = {"intake": INTAKE_KEY, "ops": OPS_KEY, "claim": NOTIFY_KEY}
    if key in keys:
        args += ["--header", f"X-API-Key: {keys[key]}"]
    result = subprocess.run(args, capture_output=True, text=True, timeout=420, cwd=ROOT)
    LOGS.mkdir(parents=True, exist_ok=True)
    (LOGS / f"{service}-{key}.txt").write_text(result.stdout + result.stderr)
    assert result.returncode == 0, result.stdout[-4000:]


@pytest.mark.parametrize(
    ("service", "path"),
    [("insights", "^/v1/reports/"), ("route", "^/v1/routing/simulate$")],
    ids=["reports", "simulate"],
)
def test_no_5xx_from_generated_dates(pipeline: Pipeline, service: str, path: str) -> None:
    """The operations that take dates and times (reports' start/end, simulate's clock), with the key
    that may call them and more examples. schemathesis draws dates near today and rarely the extremes,
    so tests/e2e/test_hostile_dates.py sends years 1 and 9999 and every boundary explicitly."""
    args = schemathesis_args(f"{getattr(pipeline, service)}/openapi.json", 150)
    args += ["--include-path-regex", path, "--header", f"X-API-Key: {OPS_KEY}"]
    result = subprocess.run(args, capture_output=True, text=True, timeout=420, cwd=ROOT)
    LOGS.mkdir(parents=True, exist_ok=True)
    (LOGS / f"{service}-dates.txt").write_text(result.stdout + result.stderr)
    assert "1 selected" in result.stdout, result.stdout[-2000:]
    assert result.returncode == 0, result.stdout[-4000:]
