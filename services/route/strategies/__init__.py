"""The routing strategies a pool can use, by name. A new strategy is one file in this package (a
class with `name`, `needs` and a pure `pick`, see base.Strategy) plus one line in STRATEGIES."""

import sys

from services.route.strategies import account_owner, least_loaded, round_robin, weighted_round_robin
from services.route.strategies.base import Need, Strategy
from shared.business.loader import BusinessConfig

STRATEGIES: dict[str, Strategy] = {
    s.name: s
    for s in (
        round_robin.STRATEGY,
        weighted_round_robin.STRATEGY,
        least_loaded.STRATEGY,
        account_owner.STRATEGY,
    )
}


def strategy(name: str) -> Strategy:
    return STRATEGIES[name]


def needs(names: list[str]) -> frozenset[Need]:
    """What the pools' strategies need loaded, together."""
    return frozenset(n for name in names for n in STRATEGIES[name].needs)


def unknown_strategies(config: BusinessConfig) -> list[str]:
    """Each pool whose strategy route does not know, as an error line."""
    return [
        f"pool {p.id}: unknown strategy {p.strategy!r} (known: {', '.join(sorted(STRATEGIES))})"
        for p in config.pools
        if p.strategy not in STRATEGIES
    ]


def usable(config: BusinessConfig) -> BusinessConfig:
    """A published version's test: raises ValueError naming each unknown strategy."""
    problems = unknown_strategies(config)
    if problems:
        raise ValueError("; ".join(problems))
    return config


def config_or_exit(config: BusinessConfig) -> BusinessConfig:
    problems = unknown_strategies(config)
    if problems:
        print("refusing to start with this routing config:\n  " + "\n  ".join(problems), file=sys.stderr)
        raise SystemExit(2)
    return config
