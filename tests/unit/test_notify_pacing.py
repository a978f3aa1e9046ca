from services.notify.pacing import Pace, Pacer


def test_a_burst_goes_at_once_then_one_per_interval() -> None:
    pacer = Pacer({"slack": Pace(per_second=1.0, burst=3)})
    assert [pacer.slot("slack", "U1", 100.0) for _ in range(5)] == [100.0, 100.0, 100.0, 101.0, 102.0]
    assert pacer.slot("slack", "U1", 102.5) == 103.0, "slots already handed out stay taken"
    assert pacer.slot("slack", "U1", 110.0) == 110.0, "quiet for long enough: the burst is back"


def test_one_flooded_target_does_not_pace_another() -> None:
    pacer = Pacer({"slack": Pace(per_second=2.0, burst=1)})
    flood = [pacer.slot("slack", "U1", 0.0) for _ in range(4)]
    assert flood == [0.0, 0.5, 1.0, 1.5]
    assert pacer.slot("slack", "U2", 0.0) == 0.0
    assert pacer.slot("sms", "U1", 0.0) == 0.0, "a channel without a pace is not paced"


def test_unpaced_channel_and_idle_targets_are_forgotten() -> None:
    pacer = Pacer({"slack": Pace(per_second=0.0), "sms": Pace(per_second=2.0, burst=2)})
    assert all(pacer.slot("slack", "U1", 0.0) == 0.0 for _ in range(100))
    assert [pacer.slot("sms", "+1555", 0.0) for _ in range(3)] == [0.0, 0.0, 0.5]
    pacer.forget_idle(1.0)
    assert pacer._due, "still owed: the next slot is at 1.5"
    pacer.forget_idle(1.5)
    assert not pacer._due
