"""What a draft routing version would have done to recent leads, against the version in force: both
decide every recorded lead again, in memory, in arrival order (services/route/replay.py), and the
two outcomes are compared lead by lead. Pure: the API loads the leads; nothing is written."""

from collections import Counter
from typing import Any

from services.route.replay import NOBODY, NURTURE, RecordedLead, decide_each, owner_of
from shared.business.loader import BusinessConfig


def _counts(counter: Counter[str], other: Counter[str]) -> list[dict[str, Any]]:
    keys = sorted(set(counter) | set(other))
    return [{"key": k, "before": other[k], "after": counter[k], "change": counter[k] - other[k]} for k in keys]


def impact(current: BusinessConfig, draft: BusinessConfig, recorded: list[RecordedLead], sample: int) -> dict[str, Any]:
    """{leads, moved, by_rep, by_pool, now_nurtured, now_held, sample}: by_rep and by_pool give each
    rep's and pool's leads before and after (only those that change are listed); `sample` holds up to
    `sample` moved leads with both decisions' reasons and traces."""
    before = decide_each(current, recorded)
    after = decide_each(draft, recorded)
    reps_before: Counter[str] = Counter()
    reps_after: Counter[str] = Counter()
    pools_before: Counter[str] = Counter()
    pools_after: Counter[str] = Counter()
    moved = []
    for (lead, was), (_, now) in zip(before, after, strict=True):
        reps_before[owner_of(was)] += 1
        reps_after[owner_of(now)] += 1
        pools_before[was.pool_id or "-"] += 1
        pools_after[now.pool_id or "-"] += 1
        if (owner_of(was), was.pool_id) != (owner_of(now), now.pool_id):
            moved.append((lead, was, now))
    return {
        "leads": len(recorded),
        "moved": len(moved),
        "by_rep": [row for row in _counts(reps_after, reps_before) if row["change"]],
        "by_pool": [row for row in _counts(pools_after, pools_before) if row["change"]],
        "now_nurtured": sum(1 for _, was, now in moved if owner_of(now) == NURTURE != owner_of(was)),
        "now_held": sum(1 for _, was, now in moved if owner_of(now) == NOBODY != owner_of(was)),
        "sample": [
            {
                "lead_id": str(lead.lead_id),
                "email": lead.scored.lead.email,
                "received_at": lead.received_at.isoformat(),
                "before": {"owner": owner_of(was), "pool": was.pool_id, "reason": was.reason, "trace": was.trace},
                "after": {"owner": owner_of(now), "pool": now.pool_id, "reason": now.reason, "trace": now.trace},
            }
            for lead, was, now in moved[:sample]
        ],
    }
