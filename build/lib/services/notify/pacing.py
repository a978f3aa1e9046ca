"""Per-destination pacing: every alert to a (channel, target) gets a send slot. Slack allows about one
message per second per conversation with short bursts, and carriers throttle texts to one number,
so a rep who gets a flood of alerts is paced on their own while everyone else's alerts go out at
once. The slots follow GCRA (the virtual-scheduling form of a token bucket): `burst` at once, then
one per `1 / per_second`. The state is per process: each notify replica paces what it sends."""

from dataclasses import dataclass, field

from pydantic import BaseModel, Field


class Pace(BaseModel):
    """`per_second` sustained, up to `burst` at once; `per_second` 0 means unpaced."""

    per_second: float = Field(ge=0)
    burst: int = Field(default=1, ge=1)


@dataclass
class Pacer:
    paces: dict[str, Pace]
    _due: dict[tuple[str, str], float] = field(default_factory=dict)
    """Per (channel, target): the theoretical time of the next send once the burst is used up."""

    def slot(self, channel: str, target: str, now: float) -> float:
        """When this alert may go (`now` or later), reserving that slot."""
        pace = self.paces.get(channel)
        if pace is None or pace.per_second <= 0:
            return now
        interval = 1.0 / pace.per_second
        due = max(self._due.get((channel, target), now), now)
        at = max(now, due - (pace.burst - 1) * interval)
        self._due[(channel, target)] = due + interval
        return at

    def forget_idle(self, now: float) -> None:
        """Drop targets quiet long enough to have their whole burst back, so memory stays bounded."""
        for key, due in list(self._due.items()):
            if due <= now:
                del self._due[key]
