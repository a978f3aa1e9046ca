"""The systems under test, each started as real processes on free ports, each with its own instance of
the same Slack stand-in: leadrelay as `make run` ships it (all seven services, the example config, a
mix of signed vendor sources; Slack pacing off), optionally leadrelay lean (no insights or outbound),
the naive monolith and the raw relay."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.sources import Builder, VendorMix, generic
from tests.support.inprocess import free_port
from tests.support.pipeline import run_pipeline
from tests.support.processes import PYTHON, Proc, slack_standin
from tests.support.stack import INTAKE, KAFKA, ROOT, Stack


@dataclass(frozen=True)
class Target:
    name: str
    build: Builder
    slack: str
    topics: tuple[str, ...] = ()
    """The topics a lead crosses on its way, in order (for per-hop timing); none for the monolith."""


LOGS = ROOT / ".local" / "bench-logs"


UNPACED = "{}"
"""The stand-in has no rate limits and neither baseline paces, so neither does leadrelay here."""


def _hops(prefix: str) -> tuple[str, ...]:
    return tuple(f"{prefix}lead.{t}" for t in ("captured", "enriched", "scored", "assigned"))


@contextmanager
def leadrelay(stack: Stack) -> Iterator[Target]:
    """As deployed: every service, the example config, vendor deliveries mixed with API-key leads."""
    with run_pipeline(stack, LOGS / "leadrelay", paces=UNPACED, insights=True, outbound=True) as pipeline:
        yield Target("leadrelay", VendorMix(pipeline.capture), pipeline.slack, _hops(pipeline.topic_prefix))


@contextmanager
def leadrelay_scaled(stack: Stack) -> Iterator[Target]:
    """As deployed, with two instances each of route and notify (one consumer group each)."""
    with run_pipeline(
        stack, LOGS / "leadrelay-2x", paces=UNPACED, insights=True, outbound=True, replicas={"route": 2, "notify": 2}
    ) as pipeline:
        yield Target(
            "leadrelay 2x route+notify", VendorMix(pipeline.capture), pipeline.slack, _hops(pipeline.topic_prefix)
        )


@contextmanager
def leadrelay_lean(stack: Stack) -> Iterator[Target]:
    """The five stages alone, generic leads: what `make bench` measured before it benched the product."""
    with run_pipeline(stack, LOGS / "leadrelay-lean", paces=UNPACED) as pipeline:
        url = f"{pipeline.capture}/v1/webhooks/generic"
        yield Target("leadrelay lean", generic(url, dict(INTAKE)), pipeline.slack)


@contextmanager
def _with_slack(env: dict[str, str], log_dir: Path) -> Iterator[tuple[Proc, str]]:
    port = free_port()
    slack = slack_standin(port, env, log_dir).start()
    try:
        slack.wait_ready(f"http://127.0.0.1:{port}/_standin/messages")
        yield slack, f"http://127.0.0.1:{port}"
    finally:
        slack.stop()


@contextmanager
def monolith(stack: Stack) -> Iterator[Target]:
    env = stack.env()
    with _with_slack(env, LOGS / "monolith") as (_, slack):
        port = free_port()
        args = [
            PYTHON,
            "-m",
            "bench.baselines.monolith",
            "--port",
            str(port),
            "--dsn",
            stack.dsn,
            "--slack",
            f"{slack}/api",
        ]
        proc = Proc("monolith", args, env, LOGS / "monolith" / "monolith.log").start()
        try:
            proc.wait_ready(f"http://127.0.0.1:{port}/docs")
            yield Target("naive monolith", generic(f"http://127.0.0.1:{port}/lead", {}), slack)
        finally:
            proc.stop()


@contextmanager
def relay(stack: Stack) -> Iterator[Target]:
    env = stack.env()
    prefix = f"{stack.topic_prefix}b."
    with _with_slack(env, LOGS / "relay") as (_, slack):
        port = free_port()
        base = [PYTHON, "-m", "bench.baselines.relay"]
        common = ["--bootstrap", KAFKA, "--prefix", prefix]
        procs = [
            Proc("relay-intake", [*base, "intake", *common, "--port", str(port)], env, LOGS / "relay" / "intake.log")
        ]
        procs += [
            Proc(f"relay-hop{n}", [*base, "hop", *common, "--hop", str(n)], env, LOGS / "relay" / f"hop{n}.log")
            for n in (1, 2, 3)
        ]
        procs.append(
            Proc(
                "relay-notify",
                [*base, "notify", *common, "--slack", f"{slack}/api"],
                env,
                LOGS / "relay" / "notify.log",
            )
        )
        for p in procs:
            p.start()
        try:
            procs[0].wait_ready(f"http://127.0.0.1:{port}/docs")
            hops = tuple(f"{prefix}relay.r{n}" for n in range(1, 5))
            yield Target("raw 4-hop relay", generic(f"http://127.0.0.1:{port}/lead", {}), slack, hops)
        finally:
            for p in reversed(procs):
                p.stop()
