"""weighted_round_robin: each eligible member in turn, as often as their weight says."""

from dataclasses import dataclass

from services.route.state import StateChange
from services.route.strategies.base import Context, Need, fair_pick, member_weights


@dataclass(frozen=True)
class WeightedRoundRobin:
    name: str = "weighted_round_robin"
    needs: frozenset[Need] = frozenset()

    def pick(self, ctx: Context) -> StateChange | None:
        eligible = ctx.eligible()
        return fair_pick(ctx, eligible, member_weights(ctx.pool), self.name) if eligible else None


STRATEGY = WeightedRoundRobin()
