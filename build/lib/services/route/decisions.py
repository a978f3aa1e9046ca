"""Routing decisions. Pure: the repository supplies the pool's turn counter and eligible reps."""

from collections.abc import Sequence
from dataclasses import dataclass

from shared.payloads import RepContact


class NoEligibleRep(Exception):
    pass


@dataclass(frozen=True)
class Decision:
    rep: RepContact
    reason: str
    trace: list[str]


def round_robin(pool_id: str, members: Sequence[RepContact], turn: int) -> Decision:
    """`turn` is the pool's counter after an atomic increment (1, 2, 3, ...): turn n goes to member
    (n - 1) mod len(members), so consecutive leads cycle through the pool in order."""
    if not members:
        raise NoEligibleRep(f"pool {pool_id!r} has no active reps")
    index = (turn - 1) % len(members)
    rep = members[index]
    trace = [
        f"rule default -> pool {pool_id}",
        f"candidates: {', '.join(m.id for m in members)}",
        f"round robin turn {turn} -> position {index + 1} of {len(members)}: {rep.id}",
    ]
    reason = f"Round robin in pool {pool_id}: {rep.name}'s turn ({index + 1} of {len(members)})"
    return Decision(rep=rep, reason=reason, trace=trace)
