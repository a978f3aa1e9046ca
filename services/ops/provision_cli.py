"""`leadrelay topics plan|apply` and `leadrelay acl plan|apply`: provisioning as a step of its own,
run by a platform principal before the services start (a Helm pre-install hook, a CI job)."""

import argparse
import asyncio
import sys

from aiokafka.errors import KafkaError

from services.ops import acls, topics
from shared.settings import BaseServiceSettings
from shared.topology import OPS, SERVICES


def add_provision_parsers(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    tp = sub.add_parser("topics", help="create or update the declared topics (plan prints, apply changes)")
    tp.add_argument("action", choices=["plan", "apply"])
    ap = sub.add_parser("acl", help="least-privilege ACLs per service principal (plan prints, apply creates)")
    ap.add_argument("action", choices=["plan", "apply"])
    ap.add_argument(
        "--principal",
        action="append",
        default=[],
        metavar="SERVICE=PRINCIPAL",
        help=f"a service's principal when it is not User:<service> (services: {', '.join(s.name for s in SERVICES)},"
        f" {OPS}); repeatable",
    )


def _principals(pairs: list[str]) -> dict[str, str]:
    known = {s.name for s in SERVICES} | {OPS}
    found: dict[str, str] = {}
    for pair in pairs:
        service, sep, principal = pair.partition("=")
        if not sep or service not in known or not principal:
            raise SystemExit(
                f"leadrelay acl: --principal {pair!r}: use SERVICE=User:name with SERVICE one of {sorted(known)}"
            )
        found[service] = principal if ":" in principal else f"User:{principal}"
    return found


def topics_command(action: str) -> int:
    settings = BaseServiceSettings()
    try:
        plan = asyncio.run(topics.make_plan(settings))
        for line in plan.lines():
            print(line)
        if plan.refused:
            print(f"leadrelay topics: {len(plan.refused)} change(s) refused; nothing applied", file=sys.stderr)
            return 1
        if action == "apply" and plan.changes:
            asyncio.run(topics.apply(settings, plan))
            print(f"applied {plan.changes} change(s) on {settings.kafka_bootstrap}")
    except (KafkaError, OSError, ValueError) as exc:
        print(f"leadrelay topics: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


def acl_command(action: str, principal_pairs: list[str]) -> int:
    settings = BaseServiceSettings()
    wanted = acls.plan(settings, _principals(principal_pairs))
    if action == "plan":
        for acl in wanted:
            print(acl)
        print(f"{len(wanted)} ACLs for {len({a.principal for a in wanted})} principals")
        return 0
    try:
        added = asyncio.run(acls.apply(settings, wanted))
    except (KafkaError, OSError) as exc:
        print(f"leadrelay acl: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    for acl in added:
        print(f"+ {acl}")
    print(f"{len(added)} ACLs created, {len(wanted) - len(added)} already present")
    return 0
