"""A service built like the real ones whose one worker crashes shortly after it starts (for the test
that such a process stops itself instead of lingering alive and useless)."""

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from shared.service import Runtime, Worker, create_app
from shared.settings import BaseServiceSettings


class CrashingWorker:
    async def run(self) -> None:
        await asyncio.sleep(1.0)
        raise RuntimeError("a bug in the worker loop")

    def stop(self) -> None:
        pass

    def readiness(self) -> dict[str, bool]:
        return {}


@asynccontextmanager
async def setup(rt: Runtime) -> AsyncIterator[Sequence[Worker]]:
    yield [CrashingWorker()]


app = create_app("crashing", BaseServiceSettings(), setup)
