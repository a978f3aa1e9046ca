"""One retry pacing for every loop that waits on something outside (the broker, the database, a
vendor API): exponential growth from `initial` to `cap`, with jitter so that replicas which failed
together do not retry in lockstep, and a count of every retry in `leadrelay_retries_total{what}`.
A wait can be cut short by a stop event, and a server's `Retry-After` takes precedence."""

import asyncio
import random
from dataclasses import dataclass, field

from shared import metrics


@dataclass
class Backoff:
    what: str
    """Names the retried thing in the metric (`kafka_start`, `outbox_publish`, `slack_api`, ...)."""
    initial: float = 0.2
    cap: float = 5.0
    jitter: float = 0.5
    """The share of each delay that is random: 0.5 waits between half and all of it."""
    _next: float = field(default=0.0, init=False)

    def __post_init__(self) -> None:
        self._next = self.initial

    def reset(self) -> None:
        self._next = self.initial

    def delay(self) -> float:
        """The next wait (counted as one retry), and grow the one after."""
        base = self._next
        self._next = min(self._next * 2, self.cap)
        metrics.BACKOFF_RETRIES.labels(self.what).inc()
        return base * (1 - self.jitter * random.random())

    async def wait(self, stopping: asyncio.Event | None = None, retry_after: float | None = None) -> float:
        """Sleep the next delay (or `retry_after`, capped at ten caps), returning early on `stopping`."""
        seconds = self.delay() if retry_after is None else min(retry_after, self.cap * 10)
        if retry_after is not None:
            metrics.BACKOFF_RETRIES.labels(self.what).inc()
        if stopping is None:
            await asyncio.sleep(seconds)
        else:
            await pause(stopping, seconds)
        return seconds


async def pause(event: asyncio.Event, seconds: float) -> None:
    """Sleep `seconds`, or less if `event` is set first (a worker's stop or wake-up)."""
    try:
        await asyncio.wait_for(event.wait(), seconds)
    except TimeoutError:
        pass


def retry_after_seconds(header: str | None, default: float = 1.0) -> float:
    """A `Retry-After` header in seconds (a number; anything else, such as an HTTP date, gives the
    default rather than an error)."""
    try:
        return max(float(header), 0.0) if header is not None else default
    except ValueError:
        return default
