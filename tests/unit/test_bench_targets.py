"""The bench's targets table judges what the run measured: latency percentiles per phase, the burst
against the monolith, CPU per lead without the load generator and stand-ins, and the side services'
share; a phase the run did not have is "not run", never met."""

from bench.loadgen import Phase
from bench.report import Result
from bench.targets import BURST, LOW, ONE_AT_A_TIME, STEADY, markdown, verdicts


def result(system: str, label: str, latencies_ms: list[float], cpu: dict[str, float], lost: int = 0) -> Result:
    phase = Phase(label, 1.0, len(latencies_ms) + lost, started=100.0)
    for i, ms in enumerate(latencies_ms):
        phase.scheduled[f"t{i}"] = 100.0
        phase.alerts[f"t{i}"] = [100.0 + ms / 1000]
    for i in range(lost):
        phase.scheduled[f"lost{i}"] = 100.0
        phase.alerts[f"lost{i}"] = []
    return Result(system, phase, cpu)


def by_target() -> dict[str, tuple[str, bool | None]]:
    cpu = {"postgresql": 3.0, "route": 2.0, "insights": 0.5, "outbound": 0.5, "load generator": 50.0}
    results = [
        result("leadrelay", ONE_AT_A_TIME, [15.0] * 10, {}),
        result("leadrelay", LOW, [20.0] * 98 + [90.0, 90.0], {}),
        result("leadrelay", STEADY, [100.0] * 10, {}, lost=1),
        result("leadrelay", BURST, [500.0] * 1000, cpu),
        result("naive monolith", BURST, [250.0] * 1000, {}),
    ]
    return {v.target: (v.measured, v.met) for v in verdicts(results)}


def test_each_target_is_judged_from_the_measured_phase() -> None:
    got = by_target()
    assert got["one at a time, 2/s: p50 ≤ 20 ms"] == ("15.0 ms", True)
    assert got["20/s: p50 ≤ 25 ms"] == ("20.0 ms", True)
    assert got["20/s: p99 ≤ 60 ms"] == ("90.0 ms", False)
    assert got["300/s steady: p99 ≤ 250 ms, 0 lost, 0 duplicated"][1] is False, "a lost lead misses it"
    measured, met = got["3,000 at once: alerts/s ≥ 1.0x the naive monolith"]
    assert met is False and measured.endswith("0.50x")
    assert got["3,000 at once: ≤ 4 ms CPU per lead, all leadrelay processes with Kafka and PostgreSQL"] == (
        "6.0 ms",
        False,
    ), "the load generator's 50 s are not leadrelay's"
    assert got["3,000 at once: insights and outbound ≤ 15% of that CPU"] == ("17%", False)


def test_a_phase_not_run_is_not_judged() -> None:
    table = "\n".join(markdown([result("leadrelay", LOW, [10.0] * 10, {})]))
    assert "| one at a time, 2/s: p50 ≤ 20 ms | not run | not judged |" in table
    assert "| 20/s: p50 ≤ 25 ms | 10.0 ms | met |" in table


def test_each_hop_is_held_to_twice_the_relays_same_hop() -> None:
    def hops(system: str, ms: list[float]) -> Result:
        r = result(system, ONE_AT_A_TIME, [sum(ms)] * 3, {})
        names = ["intake -> a", "a -> b", "b -> slack"]
        return Result(r.system, r.phase, r.cpu, hops=list(zip(names, ms, strict=True)))

    relay = hops("raw 4-hop relay", [3.0, 3.0, 4.0])
    judged = {v.target: v for v in verdicts([hops("leadrelay", [5.0, 6.0, 8.0]), relay])}
    verdict = judged["one at a time, 2/s: each hop's p50 ≤ 2x the relay's hop"]
    assert verdict.met is True and "a -> b 6.0 vs 3.0 ms" in verdict.measured
    judged = {v.target: v for v in verdicts([hops("leadrelay", [5.0, 6.1, 8.0]), relay])}
    assert judged["one at a time, 2/s: each hop's p50 ≤ 2x the relay's hop"].met is False
