"""Whether a CRM write-back may replace the owner a record already has ("respect existing owner",
as LeanData calls it), decided without I/O. Per CRM channel, `channel_options.<crm>.owner_policy`:

- `overwrite` (the default): the routed rep becomes the owner.
- `respect`: an owner the record had before leadrelay routed this lead is kept.
- `respect_if_active`: that owner is kept only while they are an active CRM user.

leadrelay's own moves are never "respected": on a reassignment (attempt > 1) an owner who is one of
the routed reps on that CRM was put there by leadrelay, and the lead moves on to the next rep."""

from dataclasses import dataclass
from typing import Literal

OwnerPolicy = Literal["overwrite", "respect", "respect_if_active"]


@dataclass(frozen=True)
class OwnerDecision:
    write: bool
    """Set the owner to the routed rep (False: keep the one the record has)."""
    note: str
    """Which policy applied, for the trace."""


def may_respect(policy: OwnerPolicy, existing: str | None, target: str, ours: frozenset[str], attempt: int) -> bool:
    """Whether `existing` is an owner the policy might keep (then, for respect_if_active, ask the CRM
    whether they are active)."""
    if policy == "overwrite" or not existing or existing == target:
        return False
    return not (attempt > 1 and existing in ours)


def decide(
    policy: OwnerPolicy,
    existing: str | None,
    target: str,
    ours: frozenset[str],
    attempt: int,
    active: bool | None = None,
) -> OwnerDecision:
    if not may_respect(policy, existing, target, ours, attempt):
        if existing and existing != target and policy != "overwrite":
            return OwnerDecision(True, f"owner {existing} set by leadrelay moved to {target}")
        return OwnerDecision(True, f"owner set to {target} ({policy})")
    if policy == "respect":
        return OwnerDecision(False, f"existing owner {existing} kept (respect)")
    if active:
        return OwnerDecision(False, f"existing owner {existing} kept: an active user (respect_if_active)")
    return OwnerDecision(True, f"existing owner {existing} is not an active user: owner set to {target}")
