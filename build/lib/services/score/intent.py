"""Intent scoring from behaviour events, with decay. Pure and deterministic: the same activities and
the same `now` always give the same points."""

import math
from collections.abc import Sequence
from datetime import datetime

from shared.business.scoring import DecayGroup, Inactivity, IntentRule
from shared.conditions import all_match
from shared.payloads import Activity, Contribution

SECONDS_PER_DAY = 86_400.0


def decay_factor(group: DecayGroup, occurred_at: datetime, now: datetime) -> float:
    """Halves every `half_life_days`; events from the future (clock skew) count in full."""
    if group.half_life_days is None:
        return 1.0
    age_days = max((now - occurred_at).total_seconds(), 0.0) / SECONDS_PER_DAY
    return math.pow(0.5, age_days / group.half_life_days)


def _rule_matches(rule: IntentRule, activity: Activity) -> bool:
    return rule.event == activity.kind and all_match(rule.where, {"properties": activity.properties})


def intent_contributions(
    activities: Sequence[Activity],
    rules: Sequence[IntentRule],
    groups: dict[str, DecayGroup],
    inactivity: Inactivity | None,
    now: datetime,
) -> list[Contribution]:
    ordered = sorted((a for a in activities if a.occurred_at <= now), key=lambda a: (a.occurred_at, a.kind))
    out: list[Contribution] = []
    for rule in rules:
        hits = [a for a in ordered if _rule_matches(rule, a)]
        if rule.repeat == "once":
            hits = hits[-1:]
        raw = 0.0
        for activity in hits:
            raw += rule.points * decay_factor(groups[rule.group], activity.occurred_at, now)
        if rule.cap is not None:
            raw = max(-rule.cap, min(rule.cap, raw))
        points = round(raw)
        if hits and points != 0:
            why = rule.why or f"{rule.event} events"
            times = "once" if len(hits) == 1 else f"{len(hits)} times"
            decayed = " (decayed)" if round(len(hits) * rule.points) != points else ""
            out.append(Contribution(rule_id=rule.id, points=points, why=f"{why}: {times}{decayed}"))
    if inactivity is not None and ordered:
        idle_days = (now - ordered[-1].occurred_at).total_seconds() / SECONDS_PER_DAY
        if idle_days >= inactivity.days:
            out.append(
                Contribution(
                    rule_id="inactivity",
                    points=inactivity.points,
                    why=f"No activity for {int(idle_days)} days (threshold {inactivity.days})",
                )
            )
    return out
