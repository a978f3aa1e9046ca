"""The bench report: a markdown table per system and phase, CPU per lead per process, and a PNG of
latency against rate. Pure apart from writing the files."""

from dataclasses import dataclass
from pathlib import Path

from bench.cpu import Snapshot
from bench.loadgen import Phase


@dataclass(frozen=True)
class Result:
    system: str
    phase: Phase
    cpu: Snapshot
    statements: dict[str, int] | None = None
    """SQL statements run during the phase, by the schema they touch (pg_stat_statements); None when
    pg_stat_statements is not loaded."""
    hops: list[tuple[str, float]] | None = None
    """p50 ms of each hop (intake, every topic, Slack), for the phase that measures them."""

    @property
    def latencies_ms(self) -> list[float]:
        p = self.phase
        return sorted((min(times) - p.scheduled[t]) * 1000 for t, times in p.alerts.items() if times)

    @property
    def lost(self) -> int:
        return sum(1 for times in self.phase.alerts.values() if not times)

    @property
    def duplicated(self) -> int:
        return sum(1 for times in self.phase.alerts.values() if len(times) > 1)

    @property
    def refused(self) -> int:
        return sum(1 for status in self.phase.answered.values() if not 200 <= status < 300)

    @property
    def alerts_per_second(self) -> float:
        firsts = [min(t) for t in self.phase.alerts.values() if t]
        if len(firsts) < 2:
            return 0.0
        return len(firsts) / max(max(firsts) - self.phase.started, 1e-6)


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(p / 100 * len(values)))]


def row(r: Result) -> str:
    lat = r.latencies_ms
    cpu_per_lead = sum(r.cpu.values()) / max(r.phase.count, 1) * 1000
    return (
        f"| {r.system} | {r.phase.label} | {r.phase.count} | {r.refused} | {r.lost} | {r.duplicated} | "
        f"{pct(lat, 50):.1f} | {pct(lat, 90):.1f} | {pct(lat, 99):.1f} | {pct(lat, 99.9):.1f} | "
        f"{r.alerts_per_second:.0f} | {cpu_per_lead:.1f} |"
    )


def cpu_rows(r: Result) -> str:
    parts = sorted(r.cpu.items(), key=lambda kv: -kv[1])
    per_lead = ", ".join(f"{k} {v / max(r.phase.count, 1) * 1000:.2f}" for k, v in parts if v > 0.005)
    return f"| {r.system} | {r.phase.label} | {per_lead} |"


def statement_rows(r: Result) -> str:
    if r.statements is None:
        return f"| {r.system} | {r.phase.label} | (pg_stat_statements not loaded) |"
    if not r.statements:
        return f"| {r.system} | {r.phase.label} | 0 |"
    n = max(r.phase.count, 1)
    parts = sorted(r.statements.items(), key=lambda kv: -kv[1])
    total = sum(r.statements.values()) / n
    return f"| {r.system} | {r.phase.label} | {total:.1f}: " + ", ".join(f"{k} {v / n:.1f}" for k, v in parts) + " |"


def markdown(results: list[Result], conditions: str, verdicts: list[str] | None = None) -> str:
    lines = [
        "# leadrelay bench: webhook to Slack stand-in, the systems side by side",
        "",
        conditions,
        "",
        *(verdicts or []),
        "Latency is from each lead's scheduled send time (open loop) to the Slack stand-in receiving its",
        "alert. lost = no alert after the drain; refused = non-2xx or connection error at intake.",
        "",
        "| system | phase | leads | refused | lost | dup | p50 | p90 | p99 | p99.9 ms | alerts/s | CPU ms/lead |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
        *[row(r) for r in results],
        "",
        "## CPU ms per lead, by process (all processes on the machine that belong to the run)",
        "",
        "| system | phase | process: ms per lead |",
        "|---|---|---|",
        *[cpu_rows(r) for r in results],
        "",
        "## SQL statements per lead, by the schema they touch (pg_stat_statements)",
        "",
        "| system | phase | statements per lead: by schema |",
        "|---|---|---|",
        *[statement_rows(r) for r in results],
        "",
    ]
    return "\n".join(lines)


def plot(results: list[Result], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5))
    for system in dict.fromkeys(r.system for r in results):
        mine = [r for r in results if r.system == system and r.phase.rate is not None and r.latencies_ms]
        mine.sort(key=lambda r: r.phase.rate or 0)
        rates = [r.phase.rate for r in mine]
        ax.plot(rates, [pct(r.latencies_ms, 50) for r in mine], marker="o", label=f"{system} p50")
        ax.plot(rates, [pct(r.latencies_ms, 99) for r in mine], marker="x", linestyle="--", label=f"{system} p99")
    ax.set_xlabel("offered rate (leads/s)")
    ax.set_ylabel("webhook -> Slack latency (ms)")
    ax.set_yscale("log")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
