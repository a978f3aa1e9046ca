"""What a routing strategy is: a name, the state it needs loaded, and a pure pick."""

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from services.route.availability import skip_reason
from services.route.state import PoolState, Snapshot, StateChange
from shared.business.loader import BusinessConfig
from shared.business.routing import Pool

Need = Literal["open_leads", "account_owners"]
"""State a strategy reads beyond credits, caps and pauses; the repository loads it only when a pool
in play uses a strategy that needs it."""


@dataclass(frozen=True)
class Context:
    config: BusinessConfig
    pool: Pool
    snap: Snapshot
    now: datetime
    had: frozenset[str]
    """Reps who already had this lead (never picked again)."""
    domain: str | None
    """The lead's company domain (None for free mail)."""
    trace: list[str]

    def unavailable(self, rep_id: str) -> str | None:
        rep = self.config.rep(rep_id)
        return skip_reason(rep, self.snap.load(rep_id), self.now, rep_id in self.had, self.config.holidays_of(rep))

    def eligible(self) -> list[str]:
        """The pool's members who can take the lead now, in pool order; each one skipped is traced."""
        ok = []
        for rep_id in self.pool.rep_ids:
            why = self.unavailable(rep_id)
            if why is None:
                ok.append(rep_id)
            else:
                self.trace.append(f"  {rep_id}: skipped, {why}")
        if not ok:
            self.trace.append(f"  nobody in pool {self.pool.id} can take the lead")
        return ok

    @property
    def state(self) -> PoolState:
        return self.snap.pool(self.pool.id)


class Strategy(Protocol):
    @property
    def name(self) -> str:
        """What a pool's `strategy:` says to use this one."""
        ...

    @property
    def needs(self) -> frozenset[Need]: ...

    def pick(self, ctx: Context) -> StateChange | None:
        """The rep who gets the lead and the bookkeeping that follows, or None when nobody can."""
        ...


def fair_pick(ctx: Context, eligible: list[str], weights: dict[str, int], label: str) -> StateChange:
    """Smooth weighted round robin: every eligible rep earns its weight in credit, the rep with the most
    credit wins and pays back the total weight of the eligible reps. Each rep stays within one lead of
    its weighted share at every point. Credit is only earned while eligible, so a rep who joins,
    returns from time off or is unpaused starts even with the others (their credit never exceeds one
    round) instead of catching up on the leads they missed."""
    position = {rep_id: i for i, rep_id in enumerate(ctx.pool.rep_ids)}
    credit = {r: ctx.state.credits.get(r, 0) + weights[r] for r in eligible}
    chosen = min(eligible, key=lambda r: (-credit[r], position[r]))
    ctx.trace.append(f"  {label}: {chosen} is next (credit {credit[chosen]}, weight {weights[chosen]})")
    return credited(ctx, chosen, eligible, weights)


def credited(ctx: Context, chosen: str, eligible: list[str], weights: dict[str, int]) -> StateChange:
    """The fairness bookkeeping of any pick among `eligible`: credits stay balanced whoever wins."""
    return StateChange(
        pool_id=ctx.pool.id,
        rep_id=chosen,
        credited=tuple((r, weights[r]) for r in eligible),
        debit=sum(weights[r] for r in eligible),
    )


def member_weights(pool: Pool) -> dict[str, int]:
    return {m.rep: m.weight for m in pool.members}


def equal_weights(pool: Pool) -> dict[str, int]:
    return dict.fromkeys(pool.rep_ids, 1)
