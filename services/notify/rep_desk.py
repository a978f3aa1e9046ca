"""A rep's desk in Slack, pure: `/leadrelay away [until]|back|status|mine|help` parsed, and route's
desk (availability and open leads) rendered as a reply or as the App Home tab's blocks."""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from services.notify.message import CLAIM_ACTION, mrkdwn, mrkdwn_object

HELP = (
    "`/leadrelay away [until]`: take yourself off the queue (until `2h`, `3d`, `2026-12-24` or"
    " `2026-12-24 14:00`, your time; without it, until `back`) · `/leadrelay back` · `/leadrelay status`:"
    " can you take leads now, and why not · `/leadrelay mine`: your open leads and their SLA clocks"
)
DURATION = re.compile(r"^(?P<n>\d{1,4})(?P<unit>[mhd])$")
UNITS = {"m": "minutes", "h": "hours", "d": "days"}
HOME_SHOWN = 20


@dataclass(frozen=True)
class Command:
    verb: str
    """away, back, status, mine or help"""
    until: datetime | None = None


class CommandError(ValueError):
    pass


def parse_until(text: str, now: datetime, timezone: str) -> datetime:
    """`2h` / `30m` / `3d` from now; `2026-12-24` (back that morning: midnight there, the rep's time);
    `2026-12-24 14:00` (the rep's time)."""
    text = text.strip()
    if found := DURATION.match(text):
        amount = int(found["n"])
        if amount == 0:
            raise CommandError("give a time in the future")
        return now + timedelta(**{UNITS[found["unit"]]: amount})
    zone = ZoneInfo(timezone)
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(0, 0), zone)
        at = datetime.fromisoformat(text.replace(" ", "T", 1))
    except ValueError as exc:
        raise CommandError(f"not a time I know: {text!r} (try 2h, 3d, 2026-12-24 or 2026-12-24 14:00)") from exc
    return at if at.tzinfo else at.replace(tzinfo=zone)


def parse_command(text: str, now: datetime, timezone: str) -> Command:
    words = text.strip().split(maxsplit=1)
    verb = words[0].lower() if words else "help"
    rest = words[1] if len(words) > 1 else ""
    if verb == "away":
        until = parse_until(rest, now, timezone) if rest else None
        if until is not None and until <= now:
            raise CommandError("that time has passed; give one in the future")
        return Command("away", until)
    if verb in ("back", "status", "mine", "help") and not rest:
        return Command(verb)
    raise CommandError(f"unknown command {text.strip()[:40]!r}. {HELP}")


def _local(at: str | None, timezone: str) -> str:
    if not at:
        return "-"
    return f"{datetime.fromisoformat(at).astimezone(ZoneInfo(timezone)):%a %d %b %H:%M}"


def status_text(desk: dict[str, Any]) -> str:
    if desk["available"]:
        return f"You are available for leads in {', '.join(desk['pools']) or 'no pool'}."
    return f"You are not taking leads: {desk['why_not']}."


def _lead_line(row: dict[str, Any], timezone: str) -> str:
    lead = row.get("lead") or {}
    who = lead.get("name") or lead.get("email") or row["lead_id"]
    company = f" ({lead['company']})" if lead.get("company") else ""
    clock = "claimed" if row["status"] == "claimed" else f"claim by {_local(row.get('sla_due_at'), timezone)}"
    return f"*{mrkdwn(str(who))}*{mrkdwn(company)}, score {lead.get('score', '-')}: {clock}"


def mine_text(desk: dict[str, Any], timezone: str) -> str:
    rows = desk["open"]
    if not rows:
        return "You have no open leads."
    lines = [f"• {_lead_line(r, timezone)}" for r in rows[:HOME_SHOWN]]
    more = f"\n…and {len(rows) - HOME_SHOWN} more" if len(rows) > HOME_SHOWN else ""
    return f"Your {len(rows)} open lead(s):\n" + "\n".join(lines) + more


def home_blocks(desk: dict[str, Any], timezone: str) -> list[dict[str, Any]]:
    """The App Home: availability, then each open lead with its SLA clock and, while unclaimed, a
    Claim button (the same action as the alert's, so the interactions endpoint claims it)."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": f"{desk['name']}: your leads"}},
        {"type": "section", "text": mrkdwn_object(status_text(desk))},
        {"type": "divider"},
    ]
    if not desk["open"]:
        blocks.append({"type": "section", "text": mrkdwn_object("No open leads.")})
    for row in desk["open"][:HOME_SHOWN]:
        section: dict[str, Any] = {"type": "section", "text": mrkdwn_object(_lead_line(row, timezone))}
        if row["status"] == "pending":
            section["accessory"] = {
                "type": "button",
                "action_id": CLAIM_ACTION,
                "style": "primary",
                "text": {"type": "plain_text", "text": "Claim"},
                "value": f"{row['assignment_id']}|{desk['rep_id']}",
            }
        blocks.append(section)
    blocks.append({"type": "context", "elements": [mrkdwn_object(HELP)]})
    return blocks
