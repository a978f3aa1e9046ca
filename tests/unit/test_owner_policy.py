"""The owner-respect policy of CRM write-back, decided without I/O."""

from services.notify.owner_policy import decide, may_respect

OURS = frozenset({"7001", "7002"})


def test_overwrite_always_writes() -> None:
    decision = decide("overwrite", "9000", "7001", OURS, 1)
    assert decision.write and "overwrite" in decision.note


def test_respect_keeps_an_owner_the_record_had_before_routing() -> None:
    kept = decide("respect", "9000", "7001", OURS, 1)
    assert not kept.write and "9000 kept" in kept.note
    assert decide("respect", None, "7001", OURS, 1).write, "no owner: the rep becomes it"
    assert decide("respect", "7001", "7001", OURS, 1).write, "already the rep: nothing to keep"


def test_a_pre_existing_owner_who_is_also_a_rep_is_respected_on_the_first_assignment() -> None:
    assert not decide("respect", "7002", "7001", OURS, 1).write


def test_leadrelays_own_owner_moves_on_reassignment() -> None:
    moved = decide("respect", "7002", "7001", OURS, 2)
    assert moved.write and "set by leadrelay" in moved.note
    assert not decide("respect", "9000", "7001", OURS, 2).write, "a respected outside owner stays respected"


def test_respect_if_active_asks_only_when_it_matters() -> None:
    assert may_respect("respect_if_active", "9000", "7001", OURS, 1)
    assert not may_respect("respect_if_active", None, "7001", OURS, 1)
    assert not may_respect("overwrite", "9000", "7001", OURS, 1)
    assert not decide("respect_if_active", "9000", "7001", OURS, 1, active=True).write
    inactive = decide("respect_if_active", "9000", "7001", OURS, 1, active=False)
    assert inactive.write and "not an active user" in inactive.note
