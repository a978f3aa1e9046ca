import re
from uuid import uuid4

from services.notify.message import alert_blocks, alert_text, mrkdwn, plain_fallback
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


def _mrkdwn_objects(node: object) -> list[dict[str, object]]:
    if isinstance(node, dict):
        found = [node] if node.get("type") == "mrkdwn" else []
        return found + [o for v in node.values() for o in _mrkdwn_objects(v)]
    if isinstance(node, list):
        return [o for v in node for o in _mrkdwn_objects(v)]
    return []


def test_lead_text_is_never_auto_linked_by_slack() -> None:
    """A visitor types a URL, an email and a mention into the form: the rep sees them as text."""
    a = assignment()
    hostile = a.lead.model_copy(
        update={
            "name": "Claim here https://evil.example/claim <!channel>",
            "company": "evil.example",
            "email": "ceo@evil.example",
            "title": "*urgent* _now_",
        }
    )
    a = a.model_copy(update={"lead": hostile})
    blocks = alert_blocks(a, claim_url="https://leads.example.com/v1/claims/t")
    objects = _mrkdwn_objects(blocks)
    assert objects and all(o.get("verbatim") is True for o in objects), "Slack's automatic parsing is off"
    rendered = " ".join(str(o["text"]) for o in objects)
    assert "<!channel>" not in rendered and "&lt;!channel&gt;" in rendered
    assert "<https://leads.example.com/v1/claims/t|Claim link>" in rendered, "our own links still work"
    fallback = plain_fallback(alert_text(a))
    assert not re.search(r"https?://\w|\bevil\.example\b|\w@\w", fallback), fallback
    assert fallback.replace("\u200b", "") == mrkdwn(alert_text(a)), "it reads the same"
