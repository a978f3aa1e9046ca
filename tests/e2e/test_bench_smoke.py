"""`make bench`'s harness, in miniature: 20 leads at 20/s through leadrelay, the naive monolith and
the raw relay; asserts correctness only (every lead alerted once), never timing."""

import subprocess

from tests.support.stack import ROOT


def test_bench_smoke_loses_and_duplicates_nothing() -> None:
    result = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "-m", "bench.run", "--smoke"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("smoke ")]
    assert len(lines) == 3, result.stdout[-3000:] + result.stderr[-3000:]
    assert all("0 lost, 0 duplicated, 0 refused" in line for line in lines), lines
    assert result.returncode == 0
