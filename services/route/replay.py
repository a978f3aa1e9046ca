"""Replay recorded leads against a candidate config, in memory: who would get what, cap hits, SLA
risk, and the leads whose owner would change. Pure: the CLI loads the inputs and prints the report."""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from services.route.availability import RepLoad, in_working_hours, period_starts
from services.route.engine import Decision, apply, decide, due_at
from services.route.state import Snapshot
from shared.business.loader import BusinessConfig
from shared.payloads import ScoredLead

NURTURE = "(nurture)"
NOBODY = "(held)"


@dataclass(frozen=True)
class RecordedLead:
    lead_id: UUID
    scored: ScoredLead
    received_at: datetime
    owner_then: str | None


@dataclass
class ReplayReport:
    leads: int = 0
    then: Counter[str] = field(default_factory=Counter)
    now: Counter[str] = field(default_factory=Counter)
    cap_hits: Counter[str] = field(default_factory=Counter)
    sla_risk: Counter[str] = field(default_factory=Counter)
    changed: list[tuple[RecordedLead, str, str]] = field(default_factory=list)


def _loads(config: BusinessConfig, log: dict[str, list[datetime]], now: datetime) -> dict[str, RepLoad]:
    loads = {}
    for rep_id, times in log.items():
        starts = period_starts(now, config.rep(rep_id).timezone) if rep_id in {r.id for r in config.reps} else {}
        counts = tuple((p, sum(t >= s for t in times)) for p, s in starts.items())
        loads[rep_id] = RepLoad(open_leads=len(times), assigned=counts)
    return loads


def decide_each(config: BusinessConfig, recorded: list[RecordedLead]) -> list[tuple[RecordedLead, Decision]]:
    """Decide every recorded lead again, in arrival order, each at the time it arrived, against the
    loads the earlier decisions of this replay left (caps and round robin as they would have run)."""
    decided = []
    snap = Snapshot({}, {}, {})
    log: dict[str, list[datetime]] = defaultdict(list)
    for lead in sorted(recorded, key=lambda r: r.received_at):
        at = lead.received_at
        snap = Snapshot(_loads(config, log, at), snap.pools, snap.account_owners)
        decision = decide(config, lead.scored, snap, at)
        decided.append((lead, decision))
        if decision.rep_id is not None:
            log[decision.rep_id].append(at)
        snap = apply(snap, decision, at)
    return decided


def owner_of(decision: Decision) -> str:
    return decision.rep_id if decision.rep_id else NURTURE if decision.outcome == "nurture" else NOBODY


def replay(config: BusinessConfig, recorded: list[RecordedLead]) -> ReplayReport:
    """Who would get what now, against who got it then."""
    report = ReplayReport(leads=len(recorded))
    for lead, decision in decide_each(config, recorded):
        for line in decision.trace:
            if "cap reached" in line:
                report.cap_hits[line.strip().split(":")[0]] += 1
        now_owner, then_owner = owner_of(decision), lead.owner_then or NURTURE
        report.then[then_owner] += 1
        report.now[now_owner] += 1
        if decision.rep_id is not None:
            deadline = due_at(lead.received_at, decision.sla_minutes)
            if deadline is not None and not in_working_hours(config.rep(decision.rep_id), deadline):
                report.sla_risk[decision.rep_id] += 1
        if now_owner != then_owner:
            report.changed.append((lead, then_owner, now_owner))
    return report


def render(report: ReplayReport, since: datetime, config_name: str) -> str:
    reps = sorted(set(report.then) | set(report.now) | set(report.cap_hits))
    lines = [
        f"Replay of {report.leads} leads received since {since:%Y-%m-%d %H:%M} UTC against {config_name}"
        " (in memory; nothing is written)",
        "",
        f"{'rep':<14}{'then':>6}{'now':>6}{'cap hits':>10}{'SLA risk':>10}",
    ]
    for rep in reps:
        lines.append(
            f"{rep:<14}{report.then[rep]:>6}{report.now[rep]:>6}{report.cap_hits[rep]:>10}{report.sla_risk[rep]:>10}"
        )
    lines += ["", f"Leads whose owner would change: {len(report.changed)}"]
    for lead, then, now in report.changed:
        email = lead.scored.lead.email or "-"
        lines.append(f"  {lead.lead_id}  {email:<40} {then} -> {now}")
    return "\n".join(lines)
