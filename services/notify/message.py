"""The Slack alert for an assignment: Block Kit plus a plain-text fallback. Pure."""

from typing import Any

from shared.payloads import Assignment


def alert_text(a: Assignment) -> str:
    lead = a.lead
    who = lead.name or lead.email or lead.phone or "New lead"
    at = f" at {lead.company}" if lead.company else ""
    if a.outcome == "escalated":
        return f"Escalated to {a.rep.name}: {who}{at} (score {lead.score}) needs an owner"
    return f"New lead for {a.rep.name}: {who}{at} (score {lead.score})"


def deadline_text(a: Assignment) -> str | None:
    if a.sla_due_at is None:
        return None
    return f"Claim by {a.sla_due_at:%H:%M} UTC or it moves to the next rep (attempt {a.attempt})"


CLAIM_ACTION = "claim"


def claim_value(a: Assignment) -> str:
    """The Claim button's value: which assignment, for which rep (Slack signs what comes back)."""
    return f"{a.assignment_id}|{a.rep.id}"


def alert_blocks(a: Assignment, claim_url: str | None = None) -> list[dict[str, Any]]:
    lead = a.lead
    facts = [
        ("Name", lead.name),
        ("Company", lead.company),
        ("Title", lead.title),
        ("Email", lead.email),
        ("Phone", lead.phone),
        ("Source", lead.source),
        ("Score", str(lead.score)),
    ]
    reasons = "\n".join(f"• {c.points:+d} {c.why}" for c in lead.reasons[:5]) or "• no scoring rule fired"
    context = [a.reason, f"assignment {a.assignment_id}"]
    if (deadline := deadline_text(a)) is not None:
        context.insert(0, deadline)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": alert_text(a)[:150]}},
        {
            "type": "section",
            "fields": [{"type": "mrkdwn", "text": f"*{k}*\n{v}"} for k, v in facts if v],
        },
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*Why this score*\n{reasons}"}},
        {
            "type": "actions",
            "block_id": "claim",
            "elements": [
                {
                    "type": "button",
                    "action_id": CLAIM_ACTION,
                    "style": "primary",
                    "text": {"type": "plain_text", "text": "Claim"},
                    "value": claim_value(a),
                }
            ],
        },
        {"type": "context", "elements": [{"type": "mrkdwn", "text": " · ".join(context)}]},
    ]
    if claim_url is not None:
        blocks[-1]["elements"].append({"type": "mrkdwn", "text": f"<{claim_url}|Claim link>"})
    return blocks


def claimed_blocks(original: list[dict[str, Any]], note: str) -> list[dict[str, Any]]:
    """The alert after a click: the same facts, the button replaced by who claimed (or why not)."""
    kept = [b for b in original if b.get("type") != "actions"]
    return [*kept, {"type": "section", "text": {"type": "mrkdwn", "text": note}}]
