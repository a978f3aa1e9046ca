"""The `leadrelay` command.

    leadrelay replay --since 7d --config candidate.yaml
    leadrelay dlq list --topic lead.scored
    leadrelay dlq replay --topic lead.scored
    leadrelay lag [--group G] [--json | --watch [S] | --serve PORT]
    leadrelay insights rebuild
    leadrelay simulate-day [--leads 500] [--write-config PATH]
    leadrelay model report [--generated N] | train
    leadrelay topics plan|apply
    leadrelay acl plan|apply [--principal SERVICE=User:name]

`replay` re-runs the leads route recorded in that period against a candidate config, without writing
anything, and prints per rep: leads now vs. then, cap hits, SLA risk, and the leads that would move
(database: LEADRELAY_DATABASE_URL or --database-url). `dlq list` shows each dead letter of a topic and
its error; `dlq replay` re-publishes them to their topic once the cause is fixed (each only once).
`lag` shows each consumer group's lag per partition from the broker's committed offsets.
`insights rebuild` empties insights' read model and rewinds its group to offset 0 (stop insights
first). `simulate-day` drives the running stack through a compressed business day (see
services/ops/simulate_day.py). `model` reports on or trains the predictive scoring model
(see services/score/model_cli.py). `topics` provisions the declared topics and `acl` the
least-privilege ACLs per service principal (see services/ops/provision_cli.py)."""

import argparse
import asyncio
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from services.config_cli import add_config_parser, config_command
from services.dlq import list_dead_letters
from services.dlq import replay as dlq_replay
from services.insights.rebuild import rebuild_command
from services.ops.lag_cli import lag_command
from services.ops.provision_cli import acl_command, add_provision_parsers, topics_command
from services.ops.simulate_day_cli import add_simulate_day_parser, simulate_day_command
from services.route.replay import RecordedLead, render, replay
from services.route.store.recorded import recorded_since
from services.route.strategies import config_or_exit
from services.score.model_cli import add_model_parser, model_command
from shared.business.loader import load_config_or_exit
from shared.db import Database, make_engine
from shared.settings import BaseServiceSettings
from shared.topics import Topic

UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(value: str) -> timedelta:
    match = re.fullmatch(r"(\d+)([mhdw])", value.strip())
    if match is None:
        raise argparse.ArgumentTypeError(f"{value!r}: use a number and a unit, e.g. 30m, 12h, 7d, 2w")
    return timedelta(**{UNITS[match.group(2)]: int(match.group(1))})


async def load_recorded(database_url: str, since: datetime) -> list[RecordedLead]:
    db = Database(make_engine(database_url, pool_size=1))
    try:
        async with db.session_scope() as session:
            await session.execute(text("SET TRANSACTION READ ONLY"))
            return await recorded_since(session, since)
    finally:
        await db.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="leadrelay", description=__doc__.splitlines()[0] if __doc__ else None)
    sub = parser.add_subparsers(dest="command", required=True)
    rp = sub.add_parser("replay", help="re-run recorded leads against a candidate config, writing nothing")
    rp.add_argument("--since", type=parse_since, required=True, help="e.g. 7d, 24h, 30m")
    rp.add_argument("--config", type=Path, required=True, help="the candidate business-rules YAML")
    rp.add_argument("--database-url", default=None)
    dq = sub.add_parser("dlq", help="list or replay a topic's dead letters")
    dq.add_argument("action", choices=["list", "replay"])
    dq.add_argument("--topic", required=True, choices=[t.value for t in Topic])
    lg = sub.add_parser("lag", help="consumer lag per group and partition, from committed offsets")
    lg.add_argument("--group", action="append", help="only this group (repeatable); default: every group")
    lg.add_argument("--json", action="store_true", help="machine-readable output")
    lg.add_argument("--watch", type=float, nargs="?", const=2.0, help="refresh every N seconds (default 2)")
    lg.add_argument("--serve", type=int, metavar="PORT", help="serve the lag as Prometheus metrics on PORT")
    ins = sub.add_parser("insights", help="insights' read model")
    ins.add_argument("action", choices=["rebuild"])
    add_simulate_day_parser(sub)
    add_config_parser(sub)
    add_model_parser(sub)
    add_provision_parsers(sub)
    args = parser.parse_args(argv)
    if args.command == "config":
        return config_command(args)
    if args.command == "topics":
        return topics_command(args.action)
    if args.command == "acl":
        return acl_command(args.action, args.principal)
    if args.command == "model":
        return model_command(args)
    if args.command == "insights":
        return rebuild_command()
    if args.command == "simulate-day":
        return simulate_day_command(args)
    if args.command == "dlq":
        return dlq_command(args.action, Topic(args.topic))
    if args.command == "lag":
        return lag_command(args.group, args.json, args.watch, args.serve)
    config = config_or_exit(load_config_or_exit(args.config))
    since = datetime.now(UTC) - args.since
    url = args.database_url or BaseServiceSettings().database_url
    recorded = asyncio.run(load_recorded(url, since))
    print(render(replay(config, recorded), since, str(args.config)))
    return 0


def dlq_command(action: str, topic: Topic) -> int:
    settings = BaseServiceSettings()
    if action == "list":
        letters = asyncio.run(list_dead_letters(settings, topic))
        for letter in letters:
            print(f"{letter.partition}:{letter.offset}  key {letter.key}  {letter.error}")
        print(f"{len(letters)} dead letters on {topic.value}.dlq")
    else:
        count = asyncio.run(dlq_replay(settings, topic))
        print(f"re-published {count} dead letters from {topic.value}.dlq to {topic.value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
