from uuid import uuid4

from services.notify.message import alert_blocks, alert_text
from shared.payloads import Assignment, Contribution, LeadSummary, RepContact


def assignment() -> Assignment:
    return Assignment(
        assignment_id=uuid4(),
        attempt=1,
        pool_id="inbound",
        rep=RepContact(id="alice", name="Alice Martin", slack="U01ALICE"),
        reason="Round robin in pool inbound: Alice Martin's turn (1 of 3)",
        lead=LeadSummary(
            name="Dana Reyes",
            email="dana@initech.com",
            phone=None,
            company="Initech",
            title="VP Sales",
            source="website",
            score=75,
            reasons=[Contribution(rule_id="senior_title", points=25, why="Senior decision-maker title")],
        ),
    )


def test_alert_names_the_lead_company_and_score() -> None:
    assert alert_text(assignment()) == "New lead for Alice Martin: Dana Reyes at Initech (score 75)"


def test_blocks_show_facts_reasons_and_the_routing_reason() -> None:
    text = str(alert_blocks(assignment()))
    for expected in (
        "Dana Reyes",
        "Initech",
        "VP Sales",
        "75",
        "+25 Senior decision-maker title",
        "Round robin",
    ):
        assert expected in text
    assert "Phone" not in text


def test_escalations_and_deadlines_are_spelled_out() -> None:
    from datetime import UTC, datetime

    from services.notify.message import deadline_text

    escalated = assignment().model_copy(update={"outcome": "escalated"})
    assert alert_text(escalated).startswith("Escalated to Alice Martin: Dana Reyes at Initech")
    timed = assignment().model_copy(update={"sla_due_at": datetime(2026, 11, 24, 15, 5, tzinfo=UTC)})
    assert deadline_text(timed) == "Claim by 15:05 UTC or it moves to the next rep (attempt 1)"
    assert "Claim by 15:05 UTC" in str(alert_blocks(timed))
