"""Issue 18's targets for leadrelay as deployed, judged against one run's results: each row says what
was measured and met or missed. CPU counts leadrelay's processes with Kafka and PostgreSQL, never the
load generator or the stand-ins. Pure."""

from collections.abc import Callable
from dataclasses import dataclass

from bench.report import Result, pct

SYSTEM = "leadrelay"
OUTSIDE = ("load generator", "slack stand-in", "other stand-ins")
ONE_AT_A_TIME, LOW, STEADY, BURST = "one at a time, 2/s", "20/s", "300/s", "3,000 at once"


@dataclass(frozen=True)
class Verdict:
    target: str
    measured: str
    met: bool | None
    """None: the run has no phase to judge it by."""


def _phase(results: list[Result], system: str, label: str) -> Result | None:
    return next((r for r in results if r.system == system and r.phase.label == label), None)


def product_cpu(r: Result) -> dict[str, float]:
    return {k: v for k, v in r.cpu.items() if k not in OUTSIDE}


def _latency(label: str, p: float, limit_ms: float) -> Callable[[list[Result]], Verdict]:
    def judge(results: list[Result]) -> Verdict:
        target = f"{label}: p{p:g} ≤ {limit_ms:g} ms"
        r = _phase(results, SYSTEM, label)
        if r is None or not r.latencies_ms:
            return Verdict(target, "not run", None)
        value = pct(r.latencies_ms, p)
        return Verdict(target, f"{value:.1f} ms", value <= limit_ms)

    return judge


def _steady(results: list[Result]) -> Verdict:
    target = f"{STEADY} steady: p99 ≤ 250 ms, 0 lost, 0 duplicated"
    r = _phase(results, SYSTEM, STEADY)
    if r is None or not r.latencies_ms:
        return Verdict(target, "not run", None)
    p99 = pct(r.latencies_ms, 99)
    return Verdict(
        target,
        f"p99 {p99:.0f} ms, {r.lost} lost, {r.duplicated} duplicated",
        p99 <= 250 and not (r.lost or r.duplicated),
    )


def _burst(results: list[Result]) -> Verdict:
    target = f"{BURST}: alerts/s ≥ 1.0x the naive monolith"
    ours, theirs = _phase(results, SYSTEM, BURST), _phase(results, "naive monolith", BURST)
    if ours is None or theirs is None or not theirs.alerts_per_second:
        return Verdict(target, "not run", None)
    ratio = ours.alerts_per_second / theirs.alerts_per_second
    measured = f"{ours.alerts_per_second:.0f} vs {theirs.alerts_per_second:.0f}/s = {ratio:.2f}x"
    return Verdict(target, measured, ratio >= 1.0)


def _cpu(results: list[Result]) -> Verdict:
    target = f"{BURST}: ≤ 4 ms CPU per lead, all leadrelay processes with Kafka and PostgreSQL"
    r = _phase(results, SYSTEM, BURST)
    if r is None:
        return Verdict(target, "not run", None)
    per_lead = sum(product_cpu(r).values()) / max(r.phase.count, 1) * 1000
    return Verdict(target, f"{per_lead:.1f} ms", per_lead <= 4.0)


def _side_services(results: list[Result]) -> Verdict:
    target = f"{BURST}: insights and outbound ≤ 15% of that CPU"
    r = _phase(results, SYSTEM, BURST)
    cpu = product_cpu(r) if r is not None else {}
    if not cpu:
        return Verdict(target, "not run", None)
    side = sum(v for k, v in cpu.items() if k.startswith(("insights", "outbound")))
    share = side / sum(cpu.values())
    return Verdict(target, f"{share:.0%}", share <= 0.15)


def _hops(results: list[Result]) -> Verdict:
    target = f"{ONE_AT_A_TIME}: each hop's p50 ≤ 2x the relay's hop"
    ours, relay = _phase(results, SYSTEM, ONE_AT_A_TIME), _phase(results, "raw 4-hop relay", ONE_AT_A_TIME)
    if ours is None or relay is None or not ours.hops or not relay.hops or len(ours.hops) != len(relay.hops):
        return Verdict(target, "not run", None)
    pairs = [(name, mine, theirs) for (name, mine), (_, theirs) in zip(ours.hops, relay.hops, strict=True)]
    measured = "; ".join(f"{name} {mine:.1f} vs {theirs:.1f} ms" for name, mine, theirs in pairs)
    return Verdict(target, measured, all(mine <= 2 * theirs for _, mine, theirs in pairs))


JUDGES = [
    _latency(ONE_AT_A_TIME, 50, 20),
    _latency(LOW, 50, 25),
    _latency(LOW, 99, 60),
    _hops,
    _steady,
    _burst,
    _cpu,
    _side_services,
]


def verdicts(results: list[Result]) -> list[Verdict]:
    return [judge(results) for judge in JUDGES]


def markdown(results: list[Result]) -> list[str]:
    shown = {True: "met", False: "**missed**", None: "not judged"}
    return [
        "## Targets (issue 18), leadrelay as deployed",
        "",
        "| target | measured | |",
        "|---|---|---|",
        *[f"| {v.target} | {v.measured} | {shown[v.met]} |" for v in verdicts(results)],
        "",
    ]
