"""What an escalation digest says: the count, claimed ones, the oldest and highest-scored leads with
a Claim button each, the links, and lead-supplied text made inert."""

import uuid
from datetime import UTC, datetime

from services.notify import digest_message
from services.notify.digests import Contents, Digest, Listed, Shown
from shared.payloads import Assignment, LeadSummary, RepContact

AT = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
DIGEST = Digest(7, "maya", "slack", "U01MAYA", AT, AT, None, None, False)


def shown(name: str, score: int) -> Shown:
    a = Assignment(
        assignment_id=uuid.uuid4(),
        attempt=4,
        pool_id="inbound",
        rep=RepContact(id="maya", name="Maya Patel", slack="U01MAYA"),
        reason="SLA missed 3 times",
        lead=LeadSummary(
            name=name, email=None, phone=None, company="Acme", title=None, source="web", score=score, reasons=[]
        ),
        outcome="escalated",
    )
    return Shown(a, AT)


def test_the_headline_counts_waiting_and_claimed() -> None:
    assert digest_message.headline(Contents(DIGEST, 40, 0, [], [])) == "40 escalated leads need an owner"
    assert digest_message.headline(Contents(DIGEST, 38, 2, [], [])) == "38 escalated leads need an owner, 2 claimed"
    assert digest_message.headline(Contents(DIGEST, 0, 5, [], [])) == "All 5 escalated leads are claimed"


def test_slack_digest_shows_each_lead_once_with_a_claim_button_and_the_links() -> None:
    old, top = shown("Ola Old", 10), shown("Tia Top", 95)
    blocks = digest_message.slack_blocks(Contents(DIGEST, 2, 0, [old, top], [top, old]), "https://n/p", "https://c")
    rows = [b for b in blocks if b.get("accessory")]
    assert [r["accessory"]["value"] for r in rows] == [
        f"{old.assignment.assignment_id}|maya",
        f"{top.assignment.assignment_id}|maya",
    ]
    assert all(r["block_id"].startswith(digest_message.DIGEST_BLOCK) for r in rows)
    assert "<https://n/p|All 2 escalations, each with its claim link>" in str(blocks) and "<https://c|" in str(blocks)


def test_lead_text_is_inert_in_slack_and_on_the_page() -> None:
    evil = shown("<!channel> <https://evil|Claim>", 50)
    blocks = digest_message.slack_blocks(Contents(DIGEST, 1, 0, [evil], []), None, None)
    assert "<!channel>" not in str(blocks) and "&lt;!channel&gt;" in str(blocks)
    page = digest_message.page_html("t", [Listed(evil.assignment, AT, None)], {})
    assert "<!channel>" not in page and "&lt;!channel&gt;" in page


def test_sms_digest_is_short_and_links_the_page() -> None:
    text = digest_message.sms_text(Contents(DIGEST, 900, 0, [shown("A", 1)], [shown("B", 99)]), "https://n/p")
    assert text.startswith("900 escalated leads need an owner since 09:30 UTC") and text.endswith("All: https://n/p")
    assert len(text) <= 320
