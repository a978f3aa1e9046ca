"""least_loaded: the eligible member with the fewest open leads (ties by round-robin credit)."""

from dataclasses import dataclass

from services.route.state import StateChange
from services.route.strategies.base import Context, Need, credited, member_weights


@dataclass(frozen=True)
class LeastLoaded:
    name: str = "least_loaded"
    needs: frozenset[Need] = frozenset({"open_leads"})

    def pick(self, ctx: Context) -> StateChange | None:
        eligible = ctx.eligible()
        if not eligible:
            return None
        weights = member_weights(ctx.pool)
        position = {rep_id: i for i, rep_id in enumerate(ctx.pool.rep_ids)}
        credit = {r: ctx.state.credits.get(r, 0) + weights[r] for r in eligible}
        chosen = min(eligible, key=lambda r: (ctx.snap.load(r).open_leads, -credit[r], position[r]))
        ctx.trace.append(f"  least loaded: {chosen} ({ctx.snap.load(chosen).open_leads} open)")
        return credited(ctx, chosen, eligible, weights)


STRATEGY = LeastLoaded()
