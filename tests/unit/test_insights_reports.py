"""The report arithmetic, pure: nearest-rank percentiles, who a lead counts for, the SLA and
five-minute shares, funnel rates with empty steps, and the nurture backlog."""

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from services.insights import reports
from services.insights.reports import AssignmentRow, LeadRow

T = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def lead(**kw: object) -> LeadRow:
    base: dict[str, object] = {
        "lead_id": uuid4(),
        "source": "website",
        "campaign": None,
        "captured_at": T,
        "mql_at": None,
        "sql_at": None,
        "nurtured_at": None,
    }
    return LeadRow(**{**base, **kw})  # type: ignore[arg-type]


def assignment(lead_id: UUID, attempt: int, rep: str, **kw: object) -> AssignmentRow:
    base: dict[str, object] = {
        "assignment_id": uuid4(),
        "lead_id": lead_id,
        "attempt": attempt,
        "outcome": "assigned",
        "pool_id": "inbound",
        "rep_id": rep,
        "assigned_at": T,
        "lead_arrived_at": T,
        "sla_due_at": T + timedelta(minutes=5),
        "first_alert_at": None,
        "claimed_at": None,
        "claimed_by": None,
    }
    return AssignmentRow(**{**base, **kw})  # type: ignore[arg-type]


def test_percentiles_are_nearest_rank() -> None:
    assert reports.percentile([], 50) is None
    assert reports.percentile([7.0], 90) == 7.0
    assert reports.percentile([4.0, 1.0, 3.0, 2.0], 50) == 2.0
    assert reports.percentile([4.0, 1.0, 3.0, 2.0], 90) == 4.0


def test_a_reassigned_lead_counts_for_the_rep_who_claimed_it_and_its_first_sla() -> None:
    one = lead(sql_at=T)
    first = assignment(one.lead_id, 1, "alice", first_alert_at=T + timedelta(seconds=1))
    second = assignment(
        one.lead_id,
        2,
        "bruno",
        assigned_at=T + timedelta(minutes=5),
        sla_due_at=T + timedelta(minutes=10),
        first_alert_at=T + timedelta(minutes=5, seconds=1),
        claimed_at=T + timedelta(minutes=6),
        claimed_by="bruno",
    )
    [speed] = reports.lead_speeds([one], [first, second])
    assert (speed.rep, speed.to_alert, speed.alert_to_claim, speed.to_claim) == ("bruno", 1.0, 359.0, 360.0)
    assert speed.within_sla is False, "claimed after the first assignment's SLA"
    headline = reports.speed_to_lead([one], [first, second])["headline"]
    assert (headline["claimed_within_5_minutes"], headline["claimed_within_sla"]) == (0.0, 0.0)


def test_funnel_rates_skip_empty_steps_and_the_backlog_counts_only_leads_not_routed_since() -> None:
    waiting = lead(nurtured_at=T)
    routed_later = lead(nurtured_at=T, sql_at=T + timedelta(hours=1))
    later = assignment(routed_later.lead_id, 1, "alice", assigned_at=T + timedelta(hours=1))
    report = reports.funnel([waiting, routed_later], [later], now=T + timedelta(hours=2))
    total = report["total"]
    assert (total["captured"], total["mql"], total["sql"], total["assigned"], total["claimed"]) == (2, 1, 1, 1, 0)
    assert (total["rate_sql"], total["rate_claimed"]) == (1.0, 0.0)
    assert report["nurture_backlog"] == {"size": 1, "age_p50_seconds": 7200.0, "oldest_seconds": 7200.0}
    empty = reports.funnel([], [], now=T)["total"]
    assert empty["captured"] == 0 and empty["rate_mql"] is None


def test_sla_compliance_counts_only_known_outcomes() -> None:
    ids = [uuid4() for _ in range(3)]
    rows = [
        assignment(ids[0], 1, "alice", claimed_at=T + timedelta(minutes=1), claimed_by="alice"),
        assignment(ids[1], 1, "bruno"),
        assignment(ids[2], 1, "chen", sla_due_at=T + timedelta(hours=1)),
    ]
    assert reports.sla_compliance(rows, now=T + timedelta(minutes=30)) == {"inbound": 0.5}
