"""The strategy registry: a pool names a registered strategy (route refuses an unknown one at start),
each strategy declares the state it needs loaded, and a new strategy is one class plus one line."""

from dataclasses import dataclass

import pytest

from services.route.engine import decide
from services.route.state import Snapshot, StateChange
from services.route.strategies import STRATEGIES, config_or_exit, needs, unknown_strategies
from services.route.strategies.base import Context, Need
from tests.unit.routing_fixtures import TUESDAY_15_UTC, config, scored

EMPTY = Snapshot({}, {}, {})


@dataclass(frozen=True)
class LastInLine:
    """A strategy of one's own: always the last eligible member (no fairness bookkeeping)."""

    name: str = "last_in_line"
    needs: frozenset[Need] = frozenset()

    def pick(self, ctx: Context) -> StateChange | None:
        eligible = ctx.eligible()
        return StateChange(pool_id=ctx.pool.id, rep_id=eligible[-1]) if eligible else None


def test_a_new_strategy_is_one_class_plus_one_registration(monkeypatch: pytest.MonkeyPatch) -> None:
    pools = [
        {"id": "inbound", "strategy": "last_in_line", "members": ["alice", "bruno", "chen"]},
        {"id": "enterprise", "members": ["erin"]},
    ]
    cfg = config(pools=pools)
    assert unknown_strategies(cfg) == [
        "pool inbound: unknown strategy 'last_in_line' (known: account_owner, least_loaded, round_robin,"
        " weighted_round_robin)"
    ]
    with pytest.raises(SystemExit):
        config_or_exit(cfg)
    monkeypatch.setitem(STRATEGIES, "last_in_line", LastInLine())
    assert config_or_exit(cfg) is cfg
    d = decide(cfg, scored(employees=50), EMPTY, TUESDAY_15_UTC)
    assert d.rep_id == "chen" and "pool inbound (last_in_line)" in " ".join(d.trace)


def test_only_the_state_a_strategy_needs_is_loaded() -> None:
    assert needs(["round_robin", "weighted_round_robin"]) == frozenset()
    assert needs(["least_loaded", "round_robin"]) == {"open_leads"}
    assert needs(["account_owner", "least_loaded"]) == {"open_leads", "account_owners"}
