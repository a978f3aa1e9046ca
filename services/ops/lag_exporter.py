"""One lag exporter for the whole deployment (not one gauge per pod): it samples every consumer
group's lag from the broker every few seconds and serves the latest sample as Prometheus metrics.
Each scrape is built from the latest sample alone, so a partition that moved or a group that went
away leaves no stale series behind."""

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from services.ops.lag import PartitionLag, consumer_lag, now_ms
from shared.http_errors import install_error_handlers
from shared.settings import BaseServiceSettings
from shared.zones import Operator, Public

log = logging.getLogger(__name__)


class LagCollector(Collector):
    def __init__(self) -> None:
        self.sample: list[PartitionLag] = []
        self.sampled_at_ms: int | None = None
        self.failures = 0

    def collect(self) -> Iterator[GaugeMetricFamily]:
        labels = ["group", "topic", "partition"]
        messages = GaugeMetricFamily(
            "leadrelay_consumer_lag_messages", "Log end offset minus committed offset.", labels=labels
        )
        seconds = GaugeMetricFamily(
            "leadrelay_consumer_lag_seconds",
            "Age of the oldest message the group has not consumed (0 when caught up).",
            labels=labels,
        )
        committed = GaugeMetricFamily(
            "leadrelay_consumer_committed_offset", "The group's committed offset.", labels=labels
        )
        end = GaugeMetricFamily(
            "leadrelay_topic_end_offset", "The partition's log end offset.", labels=["topic", "partition"]
        )
        now = now_ms()
        ends: dict[tuple[str, str], int] = {}
        for row in self.sample:
            key = [row.group, row.topic, str(row.partition)]
            messages.add_metric(key, row.lag)
            seconds.add_metric(key, row.age_seconds(now) or 0.0)
            if row.committed is not None:
                committed.add_metric(key, row.committed)
            ends[(row.topic, str(row.partition))] = row.end
        for (topic, partition), offset in sorted(ends.items()):
            end.add_metric([topic, partition], offset)
        age = GaugeMetricFamily("leadrelay_lag_sample_age_seconds", "Seconds since the last successful lag sample.")
        age.add_metric([], (now - self.sampled_at_ms) / 1000.0 if self.sampled_at_ms is not None else float("inf"))
        yield from (messages, seconds, committed, end, age)


async def sample_forever(settings: BaseServiceSettings, collector: LagCollector, every_s: float) -> None:
    while True:
        try:
            collector.sample = await consumer_lag(settings)
            collector.sampled_at_ms = now_ms()
        except Exception as exc:
            collector.failures += 1
            log.warning("lag sample failed (%r); serving the previous one", exc)
        await asyncio.sleep(every_s)


def create_exporter(settings: BaseServiceSettings, every_s: float) -> FastAPI:
    collector = LagCollector()
    registry = CollectorRegistry()
    registry.register(collector)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(sample_forever(settings, collector, every_s))
        yield
        task.cancel()

    app = FastAPI(title="leadrelay lag exporter", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    install_error_handlers(app)

    @app.get("/healthz", dependencies=[Public])
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/metrics", dependencies=[Operator("ops:read")])
    async def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return app
