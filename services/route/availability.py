"""Can a rep take a lead right now? Working hours and out-of-office in the rep's own time zone,
manual pause, caps per day / week / month. Pure: every function takes the clock as an argument."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from shared.business.holidays import Holiday
from shared.business.reps import WEEKDAYS, Rep

PERIODS = ("day", "week", "month")


def local(now: datetime, rep: Rep) -> datetime:
    return now.astimezone(ZoneInfo(rep.timezone))


def period_starts(now: datetime, tz: str) -> dict[str, datetime]:
    """Start of the rep's current day, week (Monday) and month, as UTC instants."""
    zone = ZoneInfo(tz)
    here = now.astimezone(zone)
    midnight = datetime.combine(here.date(), time(0), tzinfo=zone)
    week = datetime.combine(here.date() - timedelta(days=here.weekday()), time(0), tzinfo=zone)
    month = datetime.combine(here.date().replace(day=1), time(0), tzinfo=zone)
    return {"day": midnight.astimezone(UTC), "week": week.astimezone(UTC), "month": month.astimezone(UTC)}


def in_working_hours(rep: Rep, now: datetime) -> bool:
    hours = rep.working_hours
    if hours is None:
        return True
    here = local(now, rep)
    t = here.time()
    if hours.start <= hours.end:
        return WEEKDAYS[here.weekday()] in hours.days and hours.start <= t < hours.end
    if t >= hours.start:
        return WEEKDAYS[here.weekday()] in hours.days
    return WEEKDAYS[(here.weekday() - 1) % 7] in hours.days and t < hours.end


def pause_note(by: str | None, until: datetime | None) -> str:
    """ "paused by self until 2026-12-10 17:00 UTC", "paused by ops"."""
    note = f"paused by {by}" if by else "paused"
    return f"{note} until {until.astimezone(UTC):%Y-%m-%d %H:%M} UTC" if until else note


@dataclass(frozen=True)
class RepLoad:
    """What the database knows about a rep right now."""

    paused: bool = False
    open_leads: int = 0
    assigned: tuple[tuple[str, int], ...] = ()
    pause_note: str | None = None
    """Who paused the rep and until when, as the trace says it ("paused by self until ...")."""

    def count(self, period: str) -> int:
        return dict(self.assigned).get(period, 0)


def skip_reason(
    rep: Rep, load: RepLoad, now: datetime, already_had: bool, holidays: Sequence[Holiday] = ()
) -> str | None:
    """Why this rep cannot take the lead now, or None when they can (`holidays`: the rep's region's)."""
    if already_had:
        return "already had this lead"
    if load.paused:
        return load.pause_note or "paused"
    today = local(now, rep).date()
    for ooo in rep.out_of_office:
        if ooo.from_ <= today <= ooo.to:
            return f"out of office until {ooo.to.isoformat()}"
    for holiday in holidays:
        if holiday.date == today:
            return f"public holiday in {rep.region}: {holiday.name}"
    if not in_working_hours(rep, now):
        hours = rep.working_hours
        assert hours is not None
        here = local(now, rep)
        return (
            f"off hours ({here:%a %H:%M} {rep.timezone}; works {hours.start:%H:%M}-{hours.end:%H:%M} "
            f"{','.join(hours.days)})"
        )
    for period in PERIODS:
        cap = getattr(rep.caps, period)
        if cap is not None and load.count(period) >= cap:
            return f"{period} cap reached ({load.count(period)}/{cap} this {period} in {rep.timezone})"
    return None
