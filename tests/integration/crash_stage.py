"""A stage process for the commit-after-ack test: with CRASH_BEFORE_COMMIT=1 it SIGKILLs itself after
its outputs are acknowledged and before the offsets are committed."""

import asyncio
import os
import signal

from sqlalchemy import text

from shared.db import Database, make_engine
from shared.kafka import make_producer
from shared.runtime import Offsets, StageRunner
from shared.settings import BaseServiceSettings
from tests.integration.stages import SCHEMA_SQL, EffectDeps, effect_stage


async def crash(_: Offsets) -> None:
    os.kill(os.getpid(), signal.SIGKILL)


async def main() -> None:
    settings = BaseServiceSettings()
    db = Database(make_engine(settings.database_url))
    async with db.session_scope() as session:
        for sql in SCHEMA_SQL:
            await session.execute(text(sql))
    producer = make_producer(settings, "crashtest")
    await producer.start()
    hook = crash if os.environ.get("CRASH_BEFORE_COMMIT") == "1" else None
    runner = StageRunner(effect_stage("crashtest"), EffectDeps(db, "crashtest"), settings, producer, before_commit=hook)
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, runner.stop)
    try:
        await runner.run()
    finally:
        await producer.stop()
        await db.dispose()


if __name__ == "__main__":
    asyncio.run(main())
