"""Public holidays per region: a rep whose `region` has a holiday today (in the rep's time zone)
takes no leads, and the trace names the holiday."""

from datetime import date

from pydantic import Field

from shared.business.base import Strict


class Holiday(Strict):
    date: date
    name: str = Field(min_length=1, max_length=100)
