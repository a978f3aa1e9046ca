import asyncio
import time

from shared import metrics
from shared.backoff import Backoff, retry_after_seconds


def retries(what: str) -> float:
    return metrics.BACKOFF_RETRIES.labels(what)._value.get()


def test_delays_grow_to_the_cap_with_jitter_and_are_counted() -> None:
    backoff = Backoff("unit_growth", initial=0.2, cap=1.0, jitter=0.5)
    before = retries("unit_growth")
    delays = [backoff.delay() for _ in range(6)]
    bases = [0.2, 0.4, 0.8, 1.0, 1.0, 1.0]
    assert all(base / 2 <= d <= base for d, base in zip(delays, bases, strict=True))
    assert retries("unit_growth") == before + 6
    backoff.reset()
    assert backoff.delay() <= 0.2


def test_jitter_spreads_replicas_that_failed_together() -> None:
    first = [Backoff("unit_spread").delay() for _ in range(50)]
    assert len({round(d, 6) for d in first}) > 40


def test_a_wait_ends_early_when_asked_to_stop_and_honours_retry_after() -> None:
    async def scenario() -> tuple[float, float]:
        stopping = asyncio.Event()
        backoff = Backoff("unit_stop", initial=30.0, cap=30.0)
        asyncio.get_running_loop().call_later(0.05, stopping.set)
        started = time.monotonic()
        await backoff.wait(stopping)
        stopped_after = time.monotonic() - started
        started = time.monotonic()
        await Backoff("unit_retry_after", initial=30.0, cap=30.0).wait(retry_after=0.01)
        return stopped_after, time.monotonic() - started

    stopped_after, retried_after = asyncio.run(scenario())
    assert stopped_after < 5 and retried_after < 5


def test_retry_after_header_values() -> None:
    assert retry_after_seconds("3") == 3.0
    assert retry_after_seconds(None) == 1.0
    assert retry_after_seconds("Wed, 21 Oct 2026 07:28:00 GMT") == 1.0
    assert retry_after_seconds("-5") == 0.0
