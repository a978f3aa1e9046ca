"""The Slack alert for an assignment: Block Kit plus a plain-text fallback. Pure."""

import html
import re
from typing import Any

from shared.payloads import Assignment


def mrkdwn(text: str) -> str:
    """Lead-supplied text made inert for Slack: `<!channel>` and `<https://evil|Claim>` stay text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mrkdwn_object(text: str) -> dict[str, Any]:
    """A mrkdwn text object that Slack renders without its automatic parsing (`verbatim`): a URL, an
    email or a #channel typed into a lead's fields stays text; our own `<url|label>` links still work."""
    return {"type": "mrkdwn", "text": text, "verbatim": True}


LINKABLE = re.compile(r"(?i)\b(?:[a-z][a-z0-9+.-]*://)?[\w.+-]+(?:@[\w-]+)?(?:\.[a-z][\w-]*)+\b\S*")
ZERO_WIDTH_SPACE = "\u200b"


def plain_fallback(text: str) -> str:
    """The notification text (no blocks there to mark verbatim): escaped, and each thing Slack would
    turn into a link (a URL, a bare domain, an email) broken with a zero-width space after its dots,
    @ and ://, so it reads the same and links nowhere."""

    def defang(match: re.Match[str]) -> str:
        token = match.group(0)
        for mark in ("://", "@", "."):
            token = token.replace(mark, mark + ZERO_WIDTH_SPACE)
        return token

    return LINKABLE.sub(defang, mrkdwn(text))


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
REJECT_ACTIONS = {
    "reject_not_mine": ("not_mine", "Not mine"),
    "reject_not_a_fit": ("not_a_fit", "Not a fit"),
    "reject_wrong_territory": ("wrong_territory", "Wrong territory"),
}
"""Slack action id -> (route's reject reason, button label)."""


def claim_value(a: Assignment) -> str:
    """The Claim button's value: which assignment, for which rep (Slack signs what comes back)."""
    return f"{a.assignment_id}|{a.rep.id}"


def _facts(a: Assignment) -> list[tuple[str, str]]:
    lead = a.lead
    rows = [
        ("Name", lead.name),
        ("Company", lead.company),
        ("Title", lead.title),
        ("Email", lead.email),
        ("Phone", lead.phone),
        ("Source", lead.source),
        ("Score", str(lead.score)),
    ]
    return [(k, v) for k, v in rows if v]


def alert_blocks(a: Assignment, claim_url: str | None = None) -> list[dict[str, Any]]:
    lead = a.lead
    reasons = "\n".join(f"• {c.points:+d} {mrkdwn(c.why)}" for c in lead.reasons[:5]) or "• no scoring rule fired"
    context = [mrkdwn(a.reason), f"assignment {a.assignment_id}"]
    if (deadline := deadline_text(a)) is not None:
        context.insert(0, deadline)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": alert_text(a)[:150]}},
        {
            "type": "section",
            "fields": [mrkdwn_object(f"*{k}*\n{mrkdwn(v)}") for k, v in _facts(a)],
        },
        {"type": "section", "text": mrkdwn_object(f"*Why this score*\n{reasons}")},
        *([{"type": "context", "elements": [mrkdwn_object(mrkdwn(lead.prediction))]}] if lead.prediction else []),
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
                },
                *(
                    {
                        "type": "button",
                        "action_id": action_id,
                        "text": {"type": "plain_text", "text": label},
                        "value": claim_value(a),
                    }
                    for action_id, (_, label) in REJECT_ACTIONS.items()
                ),
            ],
        },
        {"type": "context", "elements": [mrkdwn_object(" · ".join(context))]},
    ]
    if claim_url is not None:
        blocks[-1]["elements"].append(mrkdwn_object(f"<{claim_url}|Claim link>"))
    for label, url in a.records.items():
        blocks[-1]["elements"].append(mrkdwn_object(f"<{url}|Open in {label}>"))
    return blocks


def claimed_blocks(original: list[dict[str, Any]], note: str) -> list[dict[str, Any]]:
    """The alert after a click: the same facts, the button replaced by who claimed (or why not)."""
    kept = [b for b in original if b.get("type") != "actions"]
    return [*kept, {"type": "section", "text": mrkdwn_object(note)}]


def _who(a: Assignment) -> str:
    lead = a.lead
    who = lead.name or lead.email or lead.phone or "New lead"
    return f"{who} ({lead.company})" if lead.company else who


def sms_reference(a: Assignment) -> str:
    """A short tag naming the assignment, so the SMS can be found again in the provider's records."""
    return f"Ref {str(a.assignment_id)[:8].upper()}"


def sms_text(a: Assignment, claim_url: str | None) -> str:
    """Short enough for two SMS segments: who, score, the top reason, the deadline, the link, a ref."""
    top = f" - {a.lead.reasons[0].why}" if a.lead.reasons else ""
    head = "ESCALATED lead" if a.outcome == "escalated" else "New lead"
    deadline = f" Claim by {a.sla_due_at:%H:%M} UTC." if a.sla_due_at is not None else ""
    link = f" Claim: {claim_url}" if claim_url else ""
    return f"{head}: {_who(a)}, score {a.lead.score}{top[:60]}.{deadline}{link} {sms_reference(a)}"


def email_subject(a: Assignment) -> str:
    head = "Escalated lead" if a.outcome == "escalated" else "New lead"
    return f"{head}: {_who(a)}, score {a.lead.score}"


def email_text(a: Assignment, claim_url: str | None) -> str:
    lines = [alert_text(a), ""]
    lines += [f"{k}: {v}" for k, v in _facts(a)]
    lines += ["", "Why this score:"] + [f"  {c.points:+d} {c.why}" for c in a.lead.reasons[:5]]
    if a.lead.prediction:
        lines += [f"  {a.lead.prediction}"]
    if (deadline := deadline_text(a)) is not None:
        lines += ["", deadline]
    if claim_url:
        lines += ["", f"Claim it: {claim_url}"]
    lines += [f"Open in {label}: {url}" for label, url in a.records.items()]
    lines += ["", a.reason]
    return "\n".join(lines) + "\n"


def email_html(a: Assignment, claim_url: str | None) -> str:
    esc = html.escape
    facts = "".join(f"<tr><th align='left'>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in _facts(a))
    reasons = "".join(f"<li>{c.points:+d} {esc(c.why)}</li>" for c in a.lead.reasons[:5])
    deadline = f"<p><strong>{esc(d)}</strong></p>" if (d := deadline_text(a)) else ""
    button = f"<p><a href='{esc(claim_url)}'>Claim this lead</a></p>" if claim_url else ""
    return (
        f"<h2>{esc(alert_text(a))}</h2><table>{facts}</table><p>Why this score:</p><ul>{reasons}</ul>"
        f"{deadline}{button}<p><small>{esc(a.reason)}</small></p>"
    )
