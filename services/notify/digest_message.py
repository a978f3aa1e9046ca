"""What an escalation digest says, on each channel, and its page listing every lead. Pure."""

import html
from typing import Any

from services.notify.digests import Contents, Listed, Shown
from services.notify.message import CLAIM_ACTION, claim_value, mrkdwn, mrkdwn_object
from shared.payloads import Assignment

DIGEST_BLOCK = "digest:"
"""Block ids of a digest's lead rows start with this: a click there refreshes the digest, not the block."""


def who(a: Assignment) -> str:
    lead = a.lead
    name = lead.name or lead.email or lead.phone or "Lead"
    return f"{name} ({lead.company})" if lead.company else name


def headline(c: Contents) -> str:
    if c.waiting == 0:
        return f"All {c.claimed} escalated leads are claimed"
    claimed = f", {c.claimed} claimed" if c.claimed else ""
    return f"{c.waiting} escalated leads need an owner{claimed}"


def _row(s: Shown) -> dict[str, Any]:
    a = s.assignment
    line = f"*{mrkdwn(who(a))}* · score {a.lead.score} · escalated {s.escalated_at:%H:%M:%S} UTC"
    return {
        "type": "section",
        "block_id": f"{DIGEST_BLOCK}{a.assignment_id}",
        "text": mrkdwn_object(f"{line}\n{mrkdwn(a.reason)[:400]}"),
        "accessory": {
            "type": "button",
            "action_id": CLAIM_ACTION,
            "style": "primary",
            "text": {"type": "plain_text", "text": "Claim"},
            "value": claim_value(a),
        },
    }


def _links(page_url: str | None, console_url: str | None, total: int) -> list[str]:
    links = []
    if page_url:
        links.append(f"<{page_url}|All {total} escalations, each with its claim link>")
    if console_url:
        links.append(f"<{console_url}|Open the console>")
    return links


def slack_blocks(c: Contents, page_url: str | None, console_url: str | None) -> list[dict[str, Any]]:
    d = c.digest
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": headline(c)[:150]}},
        {
            "type": "context",
            "elements": [mrkdwn_object(f"Escalations since {d.window_start:%H:%M} UTC, updated live")],
        },
    ]
    if c.oldest:
        blocks.append({"type": "section", "text": mrkdwn_object("*Oldest waiting*")})
        blocks += [_row(s) for s in c.oldest]
    shown = {s.assignment.assignment_id for s in c.oldest}
    highest = [s for s in c.highest if s.assignment.assignment_id not in shown]
    if highest:
        blocks.append({"type": "section", "text": mrkdwn_object("*Highest scored*")})
        blocks += [_row(s) for s in highest]
    if links := _links(page_url, console_url, c.waiting + c.claimed):
        blocks.append({"type": "context", "elements": [mrkdwn_object(" · ".join(links))]})
    return blocks


def _top(c: Contents) -> str:
    parts = []
    if c.oldest:
        s = c.oldest[0]
        parts.append(f"oldest {who(s.assignment)} since {s.escalated_at:%H:%M} UTC")
    if c.highest:
        s = c.highest[0]
        parts.append(f"top score {s.assignment.lead.score}: {who(s.assignment)}")
    return "; ".join(parts)


def sms_text(c: Contents, page_url: str | None) -> str:
    top = f" ({_top(c)[:90]})" if c.waiting else ""
    link = f" All: {page_url}" if page_url else ""
    return f"{headline(c)} since {c.digest.window_start:%H:%M} UTC{top}.{link}"


def email_subject(c: Contents) -> str:
    return headline(c)


def email_text(c: Contents, page_url: str | None, console_url: str | None) -> str:
    lines = [f"{headline(c)} (escalations since {c.digest.window_start:%H:%M} UTC).", ""]
    for title, rows in (("Oldest waiting", c.oldest), ("Highest scored", c.highest)):
        if rows:
            lines += [f"{title}:"] + [f"  - {who(s.assignment)}, score {s.assignment.lead.score}" for s in rows]
            lines.append("")
    if page_url:
        lines.append(f"Every escalation, each with its claim link: {page_url}")
    if console_url:
        lines.append(f"Console: {console_url}")
    return "\n".join(lines) + "\n"


def page_html(title: str, items: list[Listed], claim_url: dict[str, str]) -> str:
    """The digest's page: every escalation in it, waiting ones first, each with its claim link."""
    esc = html.escape
    rows = []
    for item in items:
        a = item.assignment
        if item.claimed_by:
            action = f"claimed by {esc(item.claimed_by)}"
        elif (url := claim_url.get(str(a.assignment_id))) is not None:
            action = f"<a class='claim' href='{esc(url)}'>Claim</a>"
        else:
            action = "waiting"
        rows.append(
            f"<tr><td>{esc(who(a))}</td><td>{esc(a.lead.email or '')}</td><td>{a.lead.score}</td>"
            f"<td>{item.escalated_at:%Y-%m-%d %H:%M:%S} UTC</td><td>{esc(a.reason)}</td><td>{action}</td></tr>"
        )
    return (
        "<!doctype html><html><head><meta charset='utf-8'><meta name='robots' content='noindex'>"
        f"<title>{esc(title)}</title></head><body><h1>{esc(title)}</h1>"
        "<table><thead><tr><th>Lead</th><th>Email</th><th>Score</th><th>Escalated</th><th>Why</th><th></th></tr>"
        f"</thead><tbody>{''.join(rows)}</tbody></table></body></html>"
    )
