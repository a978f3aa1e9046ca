"""`leadrelay config check|push|schema`: the routing configuration from a file, for GitOps.

- `check FILE` validates the whole file as the services would (line numbers; route's strategies);
  exit 1 on an error.
- `push FILE --message M` publishes the file's routing part (reps, pools, accounts, routing, scoring)
  through route's operator API (LEADRELAY_ROUTE_URL, key in LEADRELAY_OPS_KEY with `ops:write`);
  exit 1 if it is refused, with each field's error.
- `schema` writes the file's JSON Schema to docs/config.schema.json (or --output)."""

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

import httpx

from services.route.strategies import unknown_strategies
from shared.business import schema
from shared.business.loader import BusinessConfig, ConfigError, load_config
from shared.business.versioned import routing_part


def add_config_parser(sub: Any) -> None:
    cfg = sub.add_parser("config", help="check, publish or describe the routing configuration")
    actions = cfg.add_subparsers(dest="action", required=True)
    check = actions.add_parser("check", help="validate a business-rules file; exit 1 on errors")
    check.add_argument("file", type=Path)
    push = actions.add_parser("push", help="publish a file's routing part as a new version")
    push.add_argument("file", type=Path)
    push.add_argument("--message", "-m", required=True, help="why: shown in the audit log")
    push.add_argument("--url", default=os.environ.get("LEADRELAY_ROUTE_URL", "http://127.0.0.1:8004"))
    push.add_argument("--key-env", default="LEADRELAY_OPS_KEY", help="the variable holding an ops:write key")
    push.add_argument("--wait", type=float, default=10.0, help="seconds to wait for every service to apply it")
    out = actions.add_parser("schema", help="write the config file's JSON Schema")
    out.add_argument("--output", type=Path, default=schema.OUTPUT)


def _checked(path: Path) -> BusinessConfig | None:
    try:
        config = load_config(path)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return None
    problems = unknown_strategies(config)
    if problems:
        print(f"invalid config:\n{path}: " + f"\n{path}: ".join(problems), file=sys.stderr)
        return None
    return config


def config_command(args: argparse.Namespace) -> int:
    if args.action == "schema":
        args.output.write_text(schema.render())
        print(f"wrote {args.output}")
        return 0
    config = _checked(args.file)
    if config is None:
        return 1
    if args.action == "check":
        counts = f"{len(config.reps)} reps, {len(config.pools)} pools, {len(config.routing.rules)} rules"
        print(f"{args.file}: valid ({counts})")
        return 0
    return _push(args, routing_part(config))


def _push(args: argparse.Namespace, document: dict[str, Any]) -> int:
    key = os.environ.get(args.key_env)
    if not key:
        print(f"set {args.key_env} to an API key with the ops:write scope", file=sys.stderr)
        return 2
    body = {"document": document, "message": args.message, "wait_s": args.wait}
    try:
        answer = httpx.post(
            f"{args.url.rstrip('/')}/v1/config/versions", json=body, headers={"X-API-Key": key}, timeout=args.wait + 15
        )
    except httpx.HTTPError as exc:
        print(f"cannot reach route at {args.url}: {exc}", file=sys.stderr)
        return 1
    if answer.status_code != 201:
        print(f"refused ({answer.status_code}):", file=sys.stderr)
        try:
            for field in answer.json().get("fields", []):
                print(f"  {field['field']}: {field['message']}", file=sys.stderr)
        except (ValueError, KeyError, AttributeError):
            print(f"  {answer.text[:500]}", file=sys.stderr)
        return 1
    published = answer.json()
    print(f"published version {published['id']} ({len(published['diff'])} changes)")
    for change in published["diff"]:
        print(f"  {change['path']}: {json.dumps(change['before'])} -> {json.dumps(change['after'])}")
    pending = published.get("pending", [])
    print(f"applied by {len(published.get('applied', []))} instances" + (f"; pending: {pending}" if pending else ""))
    return 0
