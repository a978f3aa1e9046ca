"""CPU seconds per process group over a phase: the services, the baselines' processes, Kafka,
PostgreSQL, the Slack stand-in and the load generator itself, all read from /proc through psutil."""

import os

import psutil

Snapshot = dict[str, float]


def label(proc: psutil.Process) -> str | None:
    try:
        cmd = " ".join(proc.cmdline())
        name = proc.name()
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return None
    if proc.pid == os.getpid():
        return "load generator"
    if "kafka.Kafka" in cmd:
        return "kafka"
    if name == "postgres" or cmd.startswith("postgres"):
        return "postgresql"
    for marker, group in (
        ("services.", None),
        ("standins.slack", "slack stand-in"),
        ("standins.", "other stand-ins"),
        ("bench.baselines.monolith", "monolith"),
        ("bench.baselines.relay intake", "relay intake"),
        ("bench.baselines.relay hop", "relay hops"),
        ("bench.baselines.relay notify", "relay notify"),
    ):
        if marker in cmd:
            return group or cmd.split("services.", 1)[1].split()[0]
    return None


def snapshot() -> Snapshot:
    totals: Snapshot = {}
    for proc in psutil.process_iter():
        try:
            group = label(proc)
            if group is None and proc.ppid() != 1:
                parent = proc.parent()
                group = label(parent) if parent is not None else None
            if group is None:
                continue
            times = proc.cpu_times()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue  # gone (or not ours) between the listing and the read
        totals[group] = totals.get(group, 0.0) + times.user + times.system
    return totals


def spent(before: Snapshot, after: Snapshot) -> Snapshot:
    return {k: max(after.get(k, 0.0) - before.get(k, 0.0), 0.0) for k in after}
