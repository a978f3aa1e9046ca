"""`python -m shared.create_topics`: wait until the broker answers metadata calls, then create every
topic (and its .dlq) with the configured partition count. Used by `make run` and the test session."""

import asyncio
import sys
import time

from shared.kafka import BrokerProbe, ensure_topics
from shared.settings import BaseServiceSettings


async def main(wait_seconds: float = 90.0) -> int:
    settings = BaseServiceSettings()
    deadline = time.monotonic() + wait_seconds
    probe = BrokerProbe(settings)
    try:
        while not await probe.reachable():
            if time.monotonic() > deadline:
                print(f"Kafka at {settings.kafka_bootstrap} not ready after {wait_seconds:.0f}s", file=sys.stderr)
                return 1
            await asyncio.sleep(0.5)
    finally:
        await probe.close()
    await ensure_topics(settings)
    print(f"kafka: ready at {settings.kafka_bootstrap}, topics present ({settings.topic_partitions} partitions)")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
