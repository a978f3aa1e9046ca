"""`make bench`: leadrelay as deployed (and with --lean, its five stages alone), the naive monolith and
the raw 4-hop relay, one after another in one run on the same Kafka and PostgreSQL, at fixed open-loop
rates and then all at once, with CPU per lead by process and SQL statements per lead by schema. Writes
bench/results/latest.md, a dated copy and latency.png. Asserts nothing (`--smoke` is the correctness
check `make test` runs: a few leads per system, 0 lost, 0 duplicated)."""

import argparse
import asyncio
import os
import platform
import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import UTC, datetime

from bench import statements, systems, targets
from bench.cpu import snapshot, spent
from bench.hops import hop_p50s
from bench.loadgen import AlertReader, Phase, run_phase
from bench.report import Result, markdown, plot
from tests.support.stack import ROOT, Stack, close_stack, open_stack

RESULTS = ROOT / "bench" / "results"
FULL = [
    ("first 400 after start, 100/s", 100.0, 400),
    (targets.ONE_AT_A_TIME, 2.0, 40),
    (targets.LOW, 20.0, 200),
    ("100/s", 100.0, 1000),
    (targets.STEADY, 300.0, 3000),
    ("500/s", 500.0, 3000),
    (targets.BURST, None, 3000),
]
SMOKE = [("smoke 20/s", 20.0, 20)]
SCALE = [(targets.STEADY, 300.0, 3000), (targets.BURST, None, 3000)]
Starter = Callable[[Stack], AbstractContextManager[systems.Target]]


async def run_system(
    stack: Stack, start: Starter, phases: list[tuple[str, float | None, int]], drain: float
) -> Iterator[Result]:
    out = []
    with start(stack) as target:
        reader = AlertReader(target.slack)
        for label, rate, count in phases:
            phase = Phase(label, rate, count)
            counting = await statements.reset(stack.dsn)
            before = snapshot()
            await run_phase(target.build, phase)
            await reader.drain(phase, drain)
            cpu = spent(before, snapshot())
            if counting and rate is None:
                await _save_slowest(stack, target.name, label)
            hops = await hop_p50s(list(target.topics), phase) if label == targets.ONE_AT_A_TIME else None
            calls = await statements.calls_by_schema(stack.dsn) if counting else None
            result = Result(target.name, phase, cpu, calls, hops or None)
            print(
                f"{target.name:16} {label:30} lost {result.lost} dup {result.duplicated}"
                f" alerts/s {result.alerts_per_second:.0f}",
                flush=True,
            )
            out.append(result)
    return iter(out)


async def _save_slowest(stack: Stack, system: str, phase: str) -> None:
    """Where PostgreSQL spent its time in a saturation phase, kept beside the py-spy profiles."""
    slowest = await statements.slowest(stack.dsn)
    name = system.replace(" ", "-").replace("+", "")
    lines = [f"# {system}, {phase}: statements by total execution time (pg_stat_statements)", ""]
    lines += [f"{ms:10.0f} ms {calls:7d} calls  {query[:400]}" for ms, calls, query in slowest]
    (RESULTS / "profiles" / f"statements-{name}.txt").write_text("\n".join(lines) + "\n")


async def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--smoke", action="store_true", help="correctness only: a few leads per system")
    parser.add_argument("--only", choices=["leadrelay", "lean", "monolith", "relay"], help="one system (while tuning)")
    parser.add_argument("--lean", action="store_true", help="also leadrelay lean: five stages, generic leads")
    parser.add_argument(
        "--scale", action="store_true", help="scaling out: as deployed, then with 2 route and 2 notify instances"
    )
    args = parser.parse_args()
    phases, drain = (SMOKE, 30.0) if args.smoke else (SCALE, 60.0) if args.scale else (FULL, 60.0)
    stack = await open_stack()
    results: list[Result] = []
    try:
        starters = {
            "leadrelay": systems.leadrelay,
            "lean": systems.leadrelay_lean,
            "monolith": systems.monolith,
            "relay": systems.relay,
        }
        if args.scale:
            starters = {"leadrelay": systems.leadrelay, "scaled": systems.leadrelay_scaled}
        for name, start in starters.items():
            if (args.only and name != args.only) or (name == "lean" and not (args.lean or args.only == "lean")):
                continue
            results += list(await run_system(stack, start, phases, drain))
    finally:
        await close_stack(stack)
    bad = [r for r in results if r.lost or r.duplicated or r.refused]
    if args.smoke:
        for r in results:
            print(
                f"smoke {r.system}: {r.phase.count} leads, {r.lost} lost, {r.duplicated} duplicated,"
                f" {r.refused} refused"
            )
        return 1 if bad else 0
    conditions = (
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} cores ({platform.platform()}, Python "
        f"{platform.python_version()}). Everything on this one machine: Kafka 4.3.1 (single KRaft node), "
        "PostgreSQL, the services, one Slack stand-in per system and the load generator (aiohttp, open loop, "
        "256 connections). leadrelay runs as `make run` ships it: all seven services (insights and outbound "
        "included), the example config, and leads in turn from signed Typeform, Calendly, Webflow and Unbounce "
        "deliveries and the generic webhook with an API key. Slack pacing is OFF here (production paces at "
        "about 1 message/s per rep, as Slack asks) to measure the pipeline. leadrelay lean (with --lean) is "
        "the five stages alone with generic leads. The baselines take generic JSON. "
        "Absolute figures hold for this machine only; compare systems within one run."
    )
    if args.scale:
        text = markdown(results, conditions + " Scaling: the same product with 2 route and 2 notify instances.")
        (RESULTS / f"scaling-{datetime.now(UTC):%Y-%m-%d-%H%M}.md").write_text(text)
        print(text)
        return 0
    text = markdown(results, conditions, targets.markdown(results))
    if args.only:
        print(text)
        return 0
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latest.md").write_text(text)
    shutil.copy(RESULTS / "latest.md", RESULTS / f"{datetime.now(UTC):%Y-%m-%d-%H%M}.md")
    plot(results, RESULTS / "latency.png")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
