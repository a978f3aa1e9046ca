"""What a routing decision reads and changes: the reps' loads, each pool's round-robin credits and the
account owners (the snapshot), and the bookkeeping a pick leaves behind (the state change)."""

from dataclasses import dataclass, field

from services.route.availability import RepLoad


@dataclass(frozen=True)
class PoolState:
    """Each member's credit for smooth weighted round robin (0 for a member never seen)."""

    credits: dict[str, int] = field(default_factory=dict)
    paused: str | None = None
    """Set while an operator has paused the pool ("paused by ops"): it takes no leads."""


@dataclass(frozen=True)
class Snapshot:
    loads: dict[str, RepLoad]
    pools: dict[str, PoolState]
    account_owners: dict[str, str]

    def load(self, rep_id: str) -> RepLoad:
        return self.loads.get(rep_id, RepLoad())

    def pool(self, pool_id: str) -> PoolState:
        return self.pools.get(pool_id, PoolState())


@dataclass(frozen=True)
class ExistingOwner:
    """Another open lead of the same person (same normalised email or phone) and the rep who has it."""

    rep_id: str
    lead_id: str
    via: str


@dataclass(frozen=True)
class StateChange:
    """Fairness bookkeeping after a pick: credit added to each eligible member, credit taken from the
    winner, and an account that now belongs to the winner (first lead from a new domain in an
    account_owner pool). An account-owner pick changes no credits."""

    pool_id: str | None = None
    rep_id: str | None = None
    credited: tuple[tuple[str, int], ...] = ()
    debit: int = 0
    claim_account: str | None = None
