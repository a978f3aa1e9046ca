"""Figures that tests measure but never assert on (latencies); printed at the end of the run and
written to .local/test-logs/report.txt."""

from tests.support.stack import ROOT

LINES: list[str] = []
REPORT_FILE = ROOT / ".local" / "test-logs" / "report.txt"


def report(line: str) -> None:
    LINES.append(line)
    REPORT_FILE.parent.mkdir(parents=True, exist_ok=True)
    with REPORT_FILE.open("a") as f:
        f.write(line + "\n")
