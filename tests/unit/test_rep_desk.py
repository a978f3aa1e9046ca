"""`/leadrelay` parsed and the desk rendered, without Slack: away with a duration, a date (back that
morning, the rep's time) or a time; refusals for the past and for unknown words; the App Home lists
open leads with a Claim button only while unclaimed."""

from datetime import UTC, datetime, timedelta

import pytest

from services.notify.message import CLAIM_ACTION
from services.notify.rep_desk import CommandError, home_blocks, mine_text, parse_command, status_text

NOW = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)
NY = "America/New_York"


def test_away_takes_a_duration_a_date_or_a_time_in_the_reps_zone() -> None:
    assert parse_command("away 2h", NOW, NY).until == NOW + timedelta(hours=2)
    assert parse_command("AWAY 3d", NOW, NY).until == NOW + timedelta(days=3)
    by_date = parse_command("away 2026-12-24", NOW, NY).until
    assert by_date is not None and by_date.isoformat() == "2026-12-24T00:00:00-05:00"
    by_time = parse_command("away 2026-12-08 14:30", NOW, NY).until
    assert by_time is not None and by_time.astimezone(UTC) == datetime(2026, 12, 8, 19, 30, tzinfo=UTC)
    assert parse_command("away", NOW, NY).until is None
    assert [parse_command(w, NOW, NY).verb for w in ("back", "status", "mine", "", "help")] == [
        "back",
        "status",
        "mine",
        "help",
        "help",
    ]


@pytest.mark.parametrize("text", ["away 2025-01-01", "away 0h", "away tomorrowish", "vacation", "back later"])
def test_the_past_and_unknown_words_are_refused_with_a_hint(text: str) -> None:
    with pytest.raises(CommandError):
        parse_command(text, NOW, NY)


DESK = {
    "rep_id": "alice",
    "name": "Alice Martin",
    "available": False,
    "why_not": "paused by self until 2026-12-08 19:30 UTC",
    "pools": ["inbound"],
    "open": [
        {
            "assignment_id": "6f1c2a80-0000-4000-8000-000000000001",
            "lead_id": "6f1c2a80-0000-4000-8000-0000000000aa",
            "status": "pending",
            "sla_due_at": "2026-12-07T15:30:00+00:00",
            "lead": {"name": "Dana <script>", "company": "Initech", "score": 80},
        },
        {
            "assignment_id": "6f1c2a80-0000-4000-8000-000000000002",
            "lead_id": "6f1c2a80-0000-4000-8000-0000000000bb",
            "status": "claimed",
            "sla_due_at": None,
            "lead": {"email": "sam@hooli.com", "score": 60},
        },
    ],
}


def test_status_mine_and_the_home_tab_show_the_desk() -> None:
    assert status_text(DESK) == "You are not taking leads: paused by self until 2026-12-08 19:30 UTC."
    mine = mine_text(DESK, NY)
    assert "Your 2 open lead(s)" in mine and "claim by Mon 07 Dec 10:30" in mine and "claimed" in mine
    assert "<script>" not in mine and "&lt;script&gt;" in mine
    blocks = home_blocks(DESK, NY)
    buttons = [b["accessory"] for b in blocks if "accessory" in b]
    assert buttons == [
        {
            "type": "button",
            "action_id": CLAIM_ACTION,
            "style": "primary",
            "text": {"type": "plain_text", "text": "Claim"},
            "value": "6f1c2a80-0000-4000-8000-000000000001|alice",
        }
    ], "only the unclaimed lead has a Claim button, valued as the alert's"
