"""The three reports, computed from read-model rows. Pure: rows and the clock in, plain dicts out.

Definitions (stated once, used everywhere, including the CSV):
- A lead *arrived* when the input that made it sales-ready reached leadrelay (its first
  assignment's `lead_arrived_at`), or when it was captured if that is unknown.
- *to alert*: arrival -> the first alert sent on any channel for any of its assignments.
- *alert to claim*: that first alert -> the claim. *to claim*: arrival -> the claim.
- A lead counts for the rep who claimed it, or else the rep it was last assigned to.
- *within SLA*: claimed before its first assignment's SLA was due.
- Percentiles are nearest-rank, in seconds.
"""

import itertools
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from shared.business.loader import BusinessConfig

FIVE_MINUTES = 300.0


@dataclass(frozen=True)
class LeadRow:
    lead_id: UUID
    source: str | None
    campaign: str | None
    captured_at: datetime | None
    mql_at: datetime | None
    sql_at: datetime | None
    nurtured_at: datetime | None


@dataclass(frozen=True)
class AssignmentRow:
    assignment_id: UUID
    lead_id: UUID
    attempt: int | None
    outcome: str | None
    pool_id: str | None
    rep_id: str | None
    assigned_at: datetime | None
    lead_arrived_at: datetime | None
    sla_due_at: datetime | None
    first_alert_at: datetime | None
    claimed_at: datetime | None
    claimed_by: str | None


@dataclass(frozen=True)
class LeadSpeed:
    lead_id: UUID
    source: str
    campaign: str
    pool: str
    rep: str
    day: date
    to_alert: float | None
    alert_to_claim: float | None
    to_claim: float | None
    within_sla: bool


def percentile(values: Sequence[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(p / 100 * len(ordered)) - 1, 0)]


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    return None if start is None or end is None else max((end - start).total_seconds(), 0.0)


def _routed(assignments: Iterable[AssignmentRow]) -> list[AssignmentRow]:
    """The assignments route decided (an alert or claim event may have come without its assignment)."""
    return sorted((a for a in assignments if a.attempt is not None), key=lambda a: a.attempt or 0)


def by_lead(assignments: Iterable[AssignmentRow]) -> dict[UUID, list[AssignmentRow]]:
    grouped: dict[UUID, list[AssignmentRow]] = defaultdict(list)
    for a in assignments:
        grouped[a.lead_id].append(a)
    return grouped


def lead_speeds(leads: Sequence[LeadRow], assignments: Sequence[AssignmentRow]) -> list[LeadSpeed]:
    grouped = by_lead(assignments)
    speeds = []
    for lead in leads:
        own = grouped.get(lead.lead_id, [])
        routed = _routed(own)
        if not routed:
            continue
        first = routed[0]
        arrived = first.lead_arrived_at or lead.captured_at or first.assigned_at
        assert arrived is not None
        alerts = [a.first_alert_at for a in own if a.first_alert_at is not None]
        first_alert = min(alerts) if alerts else None
        claims = sorted((a for a in own if a.claimed_at is not None), key=lambda a: a.claimed_at or arrived)
        claim = claims[0] if claims else None
        claimed_at = claim.claimed_at if claim else None
        rep = (claim.claimed_by if claim else None) or routed[-1].rep_id or "-"
        pool = next((a.pool_id for a in routed if a.assignment_id == (claim.assignment_id if claim else None)), None)
        speeds.append(
            LeadSpeed(
                lead_id=lead.lead_id,
                source=lead.source or "-",
                campaign=lead.campaign or "-",
                pool=pool or first.pool_id or "-",
                rep=rep,
                day=arrived.date(),
                to_alert=_seconds(arrived, first_alert),
                alert_to_claim=_seconds(first_alert, claimed_at),
                to_claim=_seconds(arrived, claimed_at),
                within_sla=bool(claimed_at and first.sla_due_at and claimed_at <= first.sla_due_at),
            )
        )
    return speeds


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _speed_stats(rows: Sequence[LeadSpeed]) -> dict[str, Any]:
    to_alert = [r.to_alert for r in rows if r.to_alert is not None]
    alert_to_claim = [r.alert_to_claim for r in rows if r.alert_to_claim is not None]
    to_claim = [r.to_claim for r in rows if r.to_claim is not None]
    fast = sum(1 for t in to_claim if t <= FIVE_MINUTES)
    return {
        "leads": len(rows),
        "alerted": len(to_alert),
        "claimed": len(to_claim),
        "to_alert_p50": percentile(to_alert, 50),
        "to_alert_p90": percentile(to_alert, 90),
        "alert_to_claim_p50": percentile(alert_to_claim, 50),
        "alert_to_claim_p90": percentile(alert_to_claim, 90),
        "to_claim_p50": percentile(to_claim, 50),
        "to_claim_p90": percentile(to_claim, 90),
        "claimed_within_5_minutes": _share(fast, len(rows)),
        "claimed_within_sla": _share(sum(1 for r in rows if r.within_sla), len(rows)),
    }


SPEED_DIMENSIONS: dict[str, Callable[[LeadSpeed], str]] = {
    "rep": lambda r: r.rep,
    "pool": lambda r: r.pool,
    "source": lambda r: r.source,
    "day": lambda r: r.day.isoformat(),
}


def speed_to_lead(leads: Sequence[LeadRow], assignments: Sequence[AssignmentRow]) -> dict[str, Any]:
    speeds = lead_speeds(leads, assignments)
    groups: dict[str, list[dict[str, Any]]] = {}
    for dimension, key_of in SPEED_DIMENSIONS.items():
        buckets: dict[str, list[LeadSpeed]] = defaultdict(list)
        for row in speeds:
            buckets[key_of(row)].append(row)
        groups[dimension] = [{"key": k, **_speed_stats(v)} for k, v in sorted(buckets.items())]
    return {"headline": _speed_stats(speeds), "groups": groups}


FUNNEL_STEPS = ("captured", "mql", "sql", "assigned", "claimed")


def _funnel_counts(leads: Sequence[LeadRow], grouped: dict[UUID, list[AssignmentRow]]) -> dict[str, Any]:
    reached = {
        "captured": len(leads),
        "mql": sum(1 for lead in leads if lead.mql_at is not None or lead.sql_at is not None),
        "sql": sum(1 for lead in leads if lead.sql_at is not None),
        "assigned": sum(1 for lead in leads if _routed(grouped.get(lead.lead_id, []))),
        "claimed": sum(1 for lead in leads if any(a.claimed_at for a in grouped.get(lead.lead_id, []))),
    }
    rates = {f"rate_{step}": _share(reached[step], reached[prev]) for prev, step in itertools.pairwise(FUNNEL_STEPS)}
    return {**reached, **rates}


def _nurture_backlog(
    leads: Sequence[LeadRow], grouped: dict[UUID, list[AssignmentRow]], now: datetime
) -> dict[str, Any]:
    """Leads whose latest word from route is nurture: nurtured, and not routed since."""
    ages = []
    for lead in leads:
        if lead.nurtured_at is None:
            continue
        routed_after = any(a.assigned_at and a.assigned_at > lead.nurtured_at for a in _routed(grouped[lead.lead_id]))
        if not routed_after:
            ages.append(_seconds(lead.nurtured_at, now) or 0.0)
    return {
        "size": len(ages),
        "age_p50_seconds": percentile(ages, 50),
        "oldest_seconds": max(ages) if ages else None,
    }


def funnel(leads: Sequence[LeadRow], assignments: Sequence[AssignmentRow], now: datetime) -> dict[str, Any]:
    grouped = by_lead(assignments)
    by: dict[str, list[dict[str, Any]]] = {}
    for dimension in ("source", "campaign"):
        buckets: dict[str, list[LeadRow]] = defaultdict(list)
        for lead in leads:
            buckets[getattr(lead, dimension) or "-"].append(lead)
        by[dimension] = [{"key": k, **_funnel_counts(v, grouped)} for k, v in sorted(buckets.items())]
    return {
        "total": _funnel_counts(leads, grouped),
        "by_source": by["source"],
        "by_campaign": by["campaign"],
        "nurture_backlog": _nurture_backlog(leads, grouped, now),
    }


def _reassigned_away(a: AssignmentRow, lead_assignments: Sequence[AssignmentRow]) -> bool:
    """Unclaimed, and a later attempt exists: the SLA ran out and the lead moved on."""
    later = any((b.attempt or 0) > (a.attempt or 0) for b in lead_assignments)
    return a.claimed_at is None and later


def fairness(config: BusinessConfig, assignments: Sequence[AssignmentRow]) -> dict[str, Any]:
    routed = _routed(assignments)
    grouped = by_lead(routed)
    pools = []
    for pool in config.pools:
        mine = [a for a in routed if a.pool_id == pool.id]
        assigned = [a for a in mine if a.outcome == "assigned"]
        total_weight = sum(m.weight for m in pool.members)
        members = []
        for m in pool.members:
            own = [a for a in assigned if a.rep_id == m.rep]
            claimed = [a for a in own if a.claimed_at is not None]
            in_sla = [a for a in claimed if a.sla_due_at is not None and a.claimed_at and a.claimed_at <= a.sla_due_at]
            members.append(
                {
                    "rep": m.rep,
                    "weight": m.weight,
                    "assigned": len(own),
                    "expected_share": round(m.weight / total_weight, 4),
                    "actual_share": _share(len(own), len(assigned)),
                    "expected": round(len(assigned) * m.weight / total_weight, 2),
                    "claimed": len(claimed),
                    "reassigned_away": sum(1 for a in own if _reassigned_away(a, grouped[a.lead_id])),
                    "sla_compliance": _share(len(in_sla), len(own)),
                }
            )
        escalations = [a for a in mine if a.outcome == "escalated"]
        pools.append(
            {
                "pool": pool.id,
                "strategy": pool.strategy,
                "manager": pool.manager,
                "assigned": len(assigned),
                "escalations": len(escalations),
                "members": members,
            }
        )
    return {"pools": pools}


def sla_compliance(assignments: Sequence[AssignmentRow], now: datetime) -> dict[str, float]:
    """Per pool: of the assignments whose outcome is known (claimed, or past due), the share claimed
    within their SLA."""
    done: dict[str, list[bool]] = defaultdict(list)
    for a in _routed(assignments):
        if a.outcome != "assigned" or a.sla_due_at is None:
            continue
        if a.claimed_at is not None:
            done[a.pool_id or "-"].append(a.claimed_at <= a.sla_due_at)
        elif a.sla_due_at <= now:
            done[a.pool_id or "-"].append(False)
    return {pool: sum(ok) / len(ok) for pool, ok in done.items() if ok}
