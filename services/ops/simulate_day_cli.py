"""`leadrelay simulate-day`: write the scenario's config, or run the day against a running stack.

    leadrelay simulate-day --write-config .local/simulate-day.yaml   # then start the services with it
    leadrelay simulate-day --config .local/simulate-day.yaml         # drive the day, print the truth

The defaults are the ports and local keys of `make run`; `make demo` does both steps."""

import argparse
import asyncio
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from services.ops import simulate_day as sim


def add_simulate_day_parser(sub: Any) -> None:
    p = sub.add_parser("simulate-day", help="a compressed business day against the running stack")
    p.add_argument("--write-config", type=Path, help="write the scenario's business config here and exit")
    p.add_argument("--config", type=Path, help="the config the services run with (from --write-config)")
    p.add_argument("--leads", type=int, default=500)
    p.add_argument("--seconds", type=float, default=120.0, help="how long the compressed day lasts")
    p.add_argument("--sla-seconds", type=float, default=6.0, help="the SLA for every lead (written to the config)")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--capture", default="http://127.0.0.1:8001")
    p.add_argument("--route", default="http://127.0.0.1:8004")
    p.add_argument("--slack", default="http://127.0.0.1:8099", help="the Slack stand-in")
    p.add_argument("--insights", default="http://127.0.0.1:8006", help="compare its reports with the truth")
    p.add_argument("--intake-key", default=os.environ.get("LEADRELAY_DEMO_INTAKE_KEY", "local-dev-key"))
    p.add_argument("--ops-key", default=os.environ.get("LEADRELAY_DEMO_OPS_KEY", "local-ops-key"))


def simulate_day_command(args: argparse.Namespace) -> int:
    if args.write_config:
        config = sim.scenario_config(datetime.now(UTC), args.sla_seconds)
        args.write_config.parent.mkdir(parents=True, exist_ok=True)
        args.write_config.write_text(yaml.safe_dump(config, sort_keys=False))
        print(f"wrote {args.write_config}: start the services with LEADRELAY_CONFIG={args.write_config}")
        return 0
    if not args.config:
        print("give --config (the file --write-config wrote, which the services run with)")
        return 2
    config = yaml.safe_load(args.config.read_text())
    sla = float(config["routing"]["sla"]["default_minutes"]) * 60
    seed = args.seed if args.seed is not None else int.from_bytes(os.urandom(4), "big")
    scenario = sim.plan_day(args.leads, args.seconds, sla, seed)
    e = sim.Endpoints(args.capture, args.slack, args.route, args.insights or None, args.intake_key, args.ops_key)
    print(f"simulating a day: {args.leads} leads over {args.seconds:.0f} s, SLA {sla:g} s, run {scenario.run}")
    truth = asyncio.run(sim.run_day(e, scenario, config))
    print(sim.summary(truth))
    problems = asyncio.run(sim.check_routing(e, truth, sla))
    if e.insights:
        problems += asyncio.run(sim.check_reports(e, truth))
    for problem in problems:
        print("problem:", problem)
    if not problems:
        print(f"every lead owned, every miss reassigned in time, reports equal the truth (campaigns *-{scenario.run})")
        print(f"open the console: {args.insights}/console (key {args.ops_key})")
    return 1 if problems else 0
