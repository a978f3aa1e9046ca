"""`make profile`: py-spy samples every leadrelay service while leads flow at a fixed rate, and writes
per service the functions that hold the most samples (own and inclusive) to bench/results/profiles/.
Profile before optimising; keep the summary with the result it explains."""

import argparse
import asyncio
import subprocess
from collections import Counter
from pathlib import Path

import psutil

from bench import systems
from bench.loadgen import AlertReader, Phase, run_phase
from tests.support.stack import ROOT, close_stack, open_stack

OUT = ROOT / "bench" / "results" / "profiles"
PY_SPY = str(ROOT / ".venv" / "bin" / "py-spy")
SERVICES = ("capture", "enrich", "score", "route", "notify", "insights", "outbound")


def service_pids() -> dict[str, int]:
    found = {}
    for proc in psutil.Process().children(recursive=True):
        cmd = " ".join(proc.cmdline())
        for name in SERVICES:
            if f"services.{name}" in cmd:
                found[name] = proc.pid
    return found


def summarise(raw: Path, top: int = 25) -> str:
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [f.split(" (")[0] + " (" + f.split(" (")[-1] if " (" in f else f for f in stack.split(";")]
        own[frames[-1]] += n
        for frame in set(frames):
            inclusive[frame] += n
    lines = [f"{total} samples", "", "own samples (where the time is spent):"]
    lines += [f"  {n / total:6.1%}  {f}" for f, n in own.most_common(top)]
    lines += ["", "inclusive samples (what it was doing):"]
    lines += [f"  {n / total:6.1%}  {f}" for f, n in inclusive.most_common(top)]
    return "\n".join(lines) + "\n"


def start_spies(label: str, seconds: int) -> dict[str, subprocess.Popen[bytes]]:
    return {
        name: subprocess.Popen(
            [
                PY_SPY,
                "record",
                "--pid",
                str(pid),
                "--duration",
                str(seconds),
                "--rate",
                "200",
                "--format",
                "raw",
                "--nonblocking",
                "--output",
                str(OUT / f"{label}-{name}.raw"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for name, pid in service_pids().items()
    }


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--label", default="before")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    stack = await open_stack()
    try:
        with systems.leadrelay(stack) as target:
            warm = Phase("warm-up", 50.0, 100)
            reader = AlertReader(target.slack)
            await run_phase(target.build, warm)
            await reader.drain(warm, 30)
            spies = start_spies(args.label, args.seconds)
            phase = Phase(f"{args.rate:.0f}/s", args.rate, int(args.rate * args.seconds))
            await run_phase(target.build, phase)
            await reader.drain(phase, 60)
            for spy in spies.values():
                await asyncio.to_thread(spy.wait, 60)
    finally:
        await close_stack(stack)
    for name in spies:
        raw = OUT / f"{args.label}-{name}.raw"
        if raw.exists():
            (OUT / f"{args.label}-{name}.txt").write_text(
                f"py-spy, {name}, {args.rate:.0f} leads/s for {args.seconds} s\n" + summarise(raw)
            )
            raw.unlink()
    print(f"profiles in {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    asyncio.run(main())
