"""account_owner: a lead whose company domain belongs to an account goes to its owner when the owner
can take it; otherwise weighted round robin, and the first lead from a new domain makes its winner
the account's owner."""

from dataclasses import dataclass, replace

from services.route.state import StateChange
from services.route.strategies.base import Context, Need, fair_pick, member_weights


@dataclass(frozen=True)
class AccountOwner:
    name: str = "account_owner"
    needs: frozenset[Need] = frozenset({"account_owners"})

    def pick(self, ctx: Context) -> StateChange | None:
        domain = ctx.domain
        owner = ctx.snap.account_owners.get(domain) if domain is not None else None
        if owner is not None:
            why = ctx.unavailable(owner)
            if why is None:
                ctx.trace.append(f"  account {domain} is owned by {owner}: assigned to the owner")
                return StateChange(pool_id=ctx.pool.id, rep_id=owner)
            ctx.trace.append(f"  account {domain} is owned by {owner}, who is unavailable ({why}); using the pool")
        eligible = ctx.eligible()
        if not eligible:
            return None
        change = fair_pick(ctx, eligible, member_weights(ctx.pool), self.name)
        if domain is not None and domain not in ctx.snap.account_owners:
            change = replace(change, claim_account=domain)
        return change


STRATEGY = AccountOwner()
