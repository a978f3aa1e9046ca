"""Bounds for every date and time a caller may give (report ranges, simulate's clock, event times,
replay's `since`): outside them the answer is a 422 naming the field, never arithmetic that overflows
(`end=9999-12-31` plus a day) into a 500. Wide enough for any real lead, narrow enough for datetime."""

from datetime import UTC, date, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime

EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)


def _date_in_bounds(value: date) -> date:
    if not EARLIEST <= value <= LATEST:
        raise ValueError(f"must be between {EARLIEST} and {LATEST}")
    return value


def _datetime_in_bounds(value: datetime) -> datetime:
    _date_in_bounds(value.astimezone(UTC).date())
    return value


BoundedDate = Annotated[date, AfterValidator(_date_in_bounds)]
BoundedDatetime = Annotated[AwareDatetime, AfterValidator(_datetime_in_bounds)]
