"""round_robin: each eligible member in turn."""

from dataclasses import dataclass

from services.route.state import StateChange
from services.route.strategies.base import Context, Need, equal_weights, fair_pick


@dataclass(frozen=True)
class RoundRobin:
    name: str = "round_robin"
    needs: frozenset[Need] = frozenset()

    def pick(self, ctx: Context) -> StateChange | None:
        eligible = ctx.eligible()
        return fair_pick(ctx, eligible, equal_weights(ctx.pool), self.name) if eligible else None


STRATEGY = RoundRobin()
