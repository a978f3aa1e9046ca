"""A worker that polls: `tick` until stopped, again at once while a tick says more is waiting, else
after `idle_seconds` or as soon as it is woken. A tick that raises (the database away) is logged and
tried again after the idle wait, so the worker never dies of a passing outage."""

import asyncio
import logging

from shared.backoff import pause

log = logging.getLogger(__name__)


class PollingWorker:
    idle_seconds: float = 1.0

    def __init__(self) -> None:
        self._stopping = asyncio.Event()
        self.wake = asyncio.Event()
        """Set it to tick now (new work was recorded)."""

    def stop(self) -> None:
        self._stopping.set()
        self.wake.set()

    def readiness(self) -> dict[str, bool]:
        return {}

    async def tick(self) -> bool:
        """Do one round of work; True when more is already waiting."""
        raise NotImplementedError

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                more = await self.tick()
            except Exception as exc:
                log.warning("%s cannot do its work yet (%r); retrying", type(self).__name__, exc)
                more = False
            if not more:
                await pause(self.wake, self.idle_seconds)
                self.wake.clear()
