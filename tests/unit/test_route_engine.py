from collections import Counter
from datetime import UTC, date, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from services.route.availability import RepLoad, in_working_hours, pause_note, period_starts, skip_reason
from services.route.engine import apply, decide, escalate
from services.route.state import PoolState, Snapshot
from shared.business.loader import BusinessConfig
from shared.business.reps import Rep
from tests.unit.routing_fixtures import TUESDAY_15_UTC, config, scored

EMPTY = Snapshot({}, {}, {})


def run(cfg: BusinessConfig, leads: int, snap: Snapshot = EMPTY, **kw: object) -> tuple[list[str | None], Snapshot]:
    picks = []
    for _ in range(leads):
        d = decide(cfg, scored(**kw), snap, TUESDAY_15_UTC)  # type: ignore[arg-type]
        picks.append(d.rep_id)
        snap = apply(snap, d, TUESDAY_15_UTC)
    return picks, snap


def test_first_matching_rule_wins_and_the_default_catches_the_rest() -> None:
    big = decide(config(), scored(employees=9000), EMPTY, TUESDAY_15_UTC)
    small = decide(config(), scored(employees=50), EMPTY, TUESDAY_15_UTC)
    assert (big.rule_id, big.pool_id, big.sla_minutes) == ("big", "enterprise", 5)
    assert (small.rule_id, small.pool_id, small.sla_minutes) == ("default", "inbound", 5)
    assert "rule big: matched -> pool enterprise" in big.trace


def test_below_sales_ready_goes_to_nurture_with_the_reason() -> None:
    d = decide(config(), scored(total=50, stage="mql", grade="B4"), EMPTY, TUESDAY_15_UTC)
    assert d.outcome == "nurture" and d.rep_id is None
    assert "stage mql" in d.reason and "score 50" in d.reason


def test_sla_follows_the_grade_when_the_rule_sets_none() -> None:
    assert decide(config(), scored(grade="C1"), EMPTY, TUESDAY_15_UTC).sla_minutes == 60
    assert decide(config(), scored(grade="B3"), EMPTY, TUESDAY_15_UTC).sla_minutes == 15


def test_round_robin_cycles_in_order() -> None:
    picks, _ = run(config(), 6)
    assert picks == ["alice", "bruno", "chen", "alice", "bruno", "chen"]


def test_weighted_pool_gives_weight_two_twice_the_leads() -> None:
    picks, _ = run(config(), 9, employees=9000, domain="gmail.com", free_mail=True)
    assert Counter(picks) == {"erin": 6, "alice": 3}


def test_account_owner_first_then_the_pool() -> None:
    snap = Snapshot({}, {}, {"globex.com": "alice"})
    owned = decide(config(), scored(employees=9000, domain="globex.com"), snap, TUESDAY_15_UTC)
    assert owned.rep_id == "alice" and "account owner" in owned.reason
    paused = Snapshot({"alice": RepLoad(paused=True)}, {}, {"globex.com": "alice"})
    fallback = decide(config(), scored(employees=9000, domain="globex.com"), paused, TUESDAY_15_UTC)
    assert fallback.rep_id == "erin" and any("owned by alice, who is unavailable (paused)" in t for t in fallback.trace)


def test_a_new_domain_in_an_account_pool_becomes_the_winners_account() -> None:
    d = decide(config(), scored(employees=9000, domain="newco.com"), EMPTY, TUESDAY_15_UTC)
    assert d.change.claim_account == "newco.com"
    again = decide(
        config(), scored(employees=9000, domain="newco.com"), apply(EMPTY, d, TUESDAY_15_UTC), TUESDAY_15_UTC
    )
    assert again.rep_id == d.rep_id and "account owner" in again.reason


def test_overflow_then_escalation_never_a_silent_drop() -> None:
    all_paused = Snapshot({r: RepLoad(paused=True) for r in ("alice", "bruno", "chen", "erin")}, {}, {})
    d = decide(config(), scored(employees=9000), all_paused, TUESDAY_15_UTC)
    assert any("overflow: pool enterprise -> pool inbound" in t for t in d.trace)
    assert (d.outcome, d.rep_id, d.pool_id) == ("escalated", "maya", "inbound")
    inbound = decide(config(), scored(), all_paused, TUESDAY_15_UTC)
    assert (inbound.outcome, inbound.rep_id) == ("escalated", "maya")
    no_manager = config(pools=[{"id": "inbound", "members": ["alice"]}], routing={"default_pool": "inbound"})
    held = decide(no_manager, scored(), Snapshot({"alice": RepLoad(paused=True)}, {}, {}), TUESDAY_15_UTC)
    assert held.outcome == "held" and "no manager" in held.reason


def test_a_rep_who_already_had_the_lead_is_skipped() -> None:
    d = decide(config(), scored(), EMPTY, TUESDAY_15_UTC, already_had=frozenset({"alice"}))
    assert d.rep_id == "bruno" and "  alice: skipped, already had this lead" in d.trace


def test_a_joining_rep_starts_level_with_the_pool() -> None:
    _, snap = run(config(), 30)
    grown = config(
        pools=[{"id": "inbound", "members": ["alice", "bruno", "chen", "erin"]}], routing={"default_pool": "inbound"}
    )
    picks, _ = run(grown, 8, snap)
    assert Counter(picks) == {"alice": 2, "bruno": 2, "chen": 2, "erin": 2}


def rep(**kw: object) -> Rep:
    return Rep.model_validate({"id": "r", "name": "R", "timezone": "America/New_York", **kw})


def test_working_hours_in_the_reps_zone_including_overnight_shifts() -> None:
    office = rep(working_hours={"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "17:00"})
    assert in_working_hours(office, TUESDAY_15_UTC)
    assert not in_working_hours(office, TUESDAY_15_UTC + timedelta(hours=8))
    night = rep(working_hours={"days": ["mon"], "start": "22:00", "end": "06:00"})
    monday_23_ny = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)
    assert in_working_hours(night, monday_23_ny)
    assert in_working_hours(night, monday_23_ny + timedelta(hours=6))
    assert not in_working_hours(night, monday_23_ny + timedelta(hours=8))


def test_caps_count_in_the_reps_own_periods() -> None:
    starts = period_starts(TUESDAY_15_UTC, "America/New_York")
    assert starts["day"] == datetime(2026, 11, 24, 5, 0, tzinfo=UTC)
    assert starts["week"] == datetime(2026, 11, 23, 5, 0, tzinfo=UTC)
    assert starts["month"] == datetime(2026, 11, 1, 4, 0, tzinfo=UTC)
    capped = rep(caps={"day": 3})
    assert skip_reason(capped, RepLoad(assigned=(("day", 3),)), TUESDAY_15_UTC, False) == (
        "day cap reached (3/3 this day in America/New_York)"
    )
    assert skip_reason(capped, RepLoad(assigned=(("day", 2),)), TUESDAY_15_UTC, False) is None
    ooo = rep(out_of_office=[{"from": date(2026, 11, 23), "to": date(2026, 11, 27)}])
    assert skip_reason(ooo, RepLoad(), TUESDAY_15_UTC, False) == "out of office until 2026-11-27"


@settings(max_examples=60, deadline=None)
@given(
    weights=st.lists(st.integers(min_value=1, max_value=4), min_size=1, max_size=5),
    cycles=st.integers(min_value=1, max_value=10),
)
def test_weighted_round_robin_stays_within_one_of_the_weights(weights: list[int], cycles: int) -> None:
    reps = [{"id": f"r{i}", "name": f"R{i}"} for i in range(len(weights))]
    members = [{"rep": f"r{i}", "weight": w} for i, w in enumerate(weights)]
    cfg = config(
        reps=reps,
        pools=[{"id": "p", "strategy": "weighted_round_robin", "members": members}],
        routing={"default_pool": "p"},
    )
    total = sum(weights)
    picks, _ = run(cfg, cycles * total)
    for n in range(1, len(picks) + 1):
        counts = Counter(picks[:n])
        for i, w in enumerate(weights):
            assert abs(counts[f"r{i}"] - n * w / total) <= 1


availability = st.sampled_from(["free", "paused", "capped", "off_hours", "ooo"])


@settings(max_examples=80, deadline=None)
@given(states=st.lists(availability, min_size=3, max_size=3), leads=st.integers(min_value=1, max_value=12))
def test_nobody_unavailable_is_ever_chosen(states: list[str], leads: int) -> None:
    ids = ["alice", "bruno", "chen"]
    reps = []
    loads = {}
    for rep_id, state in zip(ids, states, strict=True):
        r: dict[str, object] = {"id": rep_id, "name": rep_id, "caps": {"day": 0} if state == "capped" else {}}
        if state == "off_hours":
            r["working_hours"] = {"start": time(1, 0), "end": time(2, 0)}
        if state == "ooo":
            r["out_of_office"] = [{"from": date(2026, 11, 1), "to": date(2026, 12, 1)}]
        reps.append(r)
        loads[rep_id] = RepLoad(paused=state == "paused")
    reps.append({"id": "maya", "name": "Maya"})
    cfg = config(
        reps=reps, pools=[{"id": "inbound", "members": ids, "manager": "maya"}], routing={"default_pool": "inbound"}
    )
    picks, _ = run(cfg, leads, Snapshot(loads, {}, {}))
    free = {i for i, s in zip(ids, states, strict=True) if s == "free"}
    for pick in picks:
        assert pick in free or (not free and pick == "maya")


@settings(max_examples=40, deadline=None)
@given(away=st.integers(min_value=0, max_value=60), rounds=st.integers(min_value=1, max_value=5))
def test_a_rep_back_from_time_off_does_not_get_a_flood(away: int, rounds: int) -> None:
    cfg = config()
    _, snap = run(cfg, 7)
    paused = Snapshot({**snap.loads, "chen": RepLoad(paused=True)}, snap.pools, snap.account_owners)
    picks, snap = run(cfg, away, paused)
    assert "chen" not in picks
    back = Snapshot({**snap.loads, "chen": RepLoad()}, snap.pools, snap.account_owners)
    picks, _ = run(cfg, 3 * rounds, back)
    assert abs(Counter(picks)["chen"] - rounds) <= 1


def test_escalating_from_a_pool_the_config_no_longer_has_holds_the_lead() -> None:
    """A pending lead whose pool was removed from the config: held (retried by the current rules),
    not an error that stops every other SLA clock."""
    d = escalate(config(), "retired_pool", "SLA missed 3 times", ["x"])
    assert d.outcome == "held" and "pool retired_pool is no longer configured" in d.reason and d.rep_id is None


def test_a_paused_pool_takes_no_lead_overflows_and_is_not_escalated_from() -> None:
    paused = Snapshot({}, {"enterprise": PoolState(paused="paused by ops")}, {})
    big = decide(config(), scored(employees=9000, domain="gmail.com", free_mail=True), paused, TUESDAY_15_UTC)
    assert big.pool_id == "inbound" and big.rep_id == "alice", "enterprise overflows to inbound"
    assert "pool enterprise: paused by ops; it takes no leads" in big.trace
    inbound_paused = Snapshot({}, {"inbound": PoolState(paused="paused by ops")}, {})
    small = decide(config(), scored(employees=50), inbound_paused, TUESDAY_15_UTC)
    assert small.outcome == "held" and small.rep_id is None, "no escalation to the manager of a paused pool"


def test_a_self_pause_shows_who_and_until_when_in_the_trace() -> None:
    until = TUESDAY_15_UTC + timedelta(hours=2)
    snap = Snapshot({"alice": RepLoad(paused=True, pause_note=pause_note("self", until))}, {}, {})
    d = decide(config(), scored(employees=50), snap, TUESDAY_15_UTC)
    assert d.rep_id == "bruno"
    assert any("alice" in step and "paused by self until" in step for step in d.trace), d.trace


def test_a_public_holiday_in_the_reps_region_keeps_them_off_the_queue() -> None:
    holiday_today = [{"date": TUESDAY_15_UTC.date().isoformat(), "name": "Founders' Day"}]
    cfg = config()
    reps = [r.model_dump(by_alias=True) for r in cfg.reps]
    reps[0]["region"] = "us"
    reps[1]["region"] = "de"
    with_holidays = BusinessConfig.model_validate(
        {**cfg.model_dump(by_alias=True), "reps": reps, "holidays": {"us": holiday_today, "de": []}}
    )
    d = decide(with_holidays, scored(employees=50), EMPTY, TUESDAY_15_UTC)
    assert d.rep_id == "bruno", "alice's region is on holiday"
    assert any("alice" in s and "public holiday in us: Founders' Day" in s for s in d.trace), d.trace
    reps[2]["region"] = "fr"
    try:
        BusinessConfig.model_validate({**cfg.model_dump(by_alias=True), "reps": reps, "holidays": {"us": []}})
    except ValueError as exc:
        assert "reps.2.region" in str(exc) and "'fr'" in str(exc)
    else:
        raise AssertionError("a region without holidays is refused (a typo would silently skip them)")
