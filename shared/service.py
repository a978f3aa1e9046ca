"""One FastAPI app per service: clients built in the lifespan, background workers (a stage's consumer
loop, capture's outbox relay) started once Kafka is reachable, and /healthz, /readyz and /metrics."""

import asyncio
import logging
import os
import signal
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Protocol

from aiokafka import AIOKafkaProducer
from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from shared import metrics, tracing
from shared.backoff import Backoff
from shared.body_limit import BodyCap, BodyLimit
from shared.correlation import RequestCorrelation
from shared.db import Database, make_engine
from shared.http_errors import install_error_handlers
from shared.http_metrics import HttpMetrics
from shared.kafka import BrokerProbe, ensure_topics, make_producer, missing_topics, start_with_retry
from shared.logs import configure_logging
from shared.settings import BaseServiceSettings
from shared.zones import Public, operator

log = logging.getLogger(__name__)


class Worker(Protocol):
    """A long-running loop owned by the service: started after Kafka is up, stopped on shutdown."""

    async def run(self) -> None: ...

    def stop(self) -> None: ...

    def readiness(self) -> dict[str, bool]: ...


@dataclass
class Runtime:
    name: str
    settings: BaseServiceSettings
    db: Database
    producer: AIOKafkaProducer
    kafka_up: asyncio.Event = field(default_factory=asyncio.Event)
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    workers: list[Worker] = field(default_factory=list)
    broker_required_for_ready: bool = True
    probe: BrokerProbe | None = None
    failed_worker: str | None = None
    """Set when a worker's loop raised: the process is then unhealthy and stops itself."""
    missing_topics: list[str] = field(default_factory=list)
    """This service's topics the broker does not have (outside development nothing creates them)."""


Setup = Callable[[Runtime], AbstractAsyncContextManager[Sequence[Worker]]]


async def _boot_kafka(rt: Runtime) -> None:
    """Start the producer, then make sure this service's topics are there before any worker runs:
    created in development, only checked elsewhere (`leadrelay topics apply` provisions them), with
    what is missing shown by /readyz until it appears."""
    if not await start_with_retry(rt.producer, f"{rt.name} producer", rt.stopping):
        return
    backoff = Backoff("topics", initial=0.5)
    while not rt.stopping.is_set():
        try:
            if rt.settings.creates_topics:
                await ensure_topics(rt.settings)
                break
            rt.missing_topics = await missing_topics(rt.settings, rt.name)
            if not rt.missing_topics:
                break
            log.warning("%s: topics missing (run `leadrelay topics apply`): %s", rt.name, rt.missing_topics)
        except Exception as exc:
            log.warning("cannot %s topics yet (%s)", "create" if rt.settings.creates_topics else "list", exc)
        await backoff.wait(rt.stopping)
    rt.kafka_up.set()


async def _run_worker(rt: Runtime, worker: Worker) -> None:
    """A worker whose loop raises must not leave a process that looks alive and does nothing: it is
    logged, /healthz turns 503, and the process shuts down (SIGTERM to itself, so uvicorn drains the
    other workers) for its supervisor (Kubernetes, compose, systemd) to start it again."""
    await rt.kafka_up.wait()
    try:
        await worker.run()
    except asyncio.CancelledError:
        raise
    except Exception:
        rt.failed_worker = type(worker).__name__
        log.critical("%s worker %s crashed; shutting down to be restarted", rt.name, rt.failed_worker, exc_info=True)
        os.kill(os.getpid(), signal.SIGTERM)


def create_app(
    name: str,
    settings: BaseServiceSettings,
    setup: Setup,
    routers: Sequence[APIRouter] = (),
    body_caps: Sequence[BodyCap] = (),
) -> FastAPI:
    """The service's app: its routers, the ops endpoints, error handlers, and the body cap (every
    request body at most `max_body_bytes` unless a `body_caps` prefix says otherwise)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(name, settings.log_level)
        rt = Runtime(name, settings, Database(make_engine(settings.database_url)), make_producer(settings, name))
        app.state.runtime = rt
        boot = asyncio.create_task(_boot_kafka(rt))
        async with setup(rt) as workers:
            rt.workers = list(workers)
            tasks = [asyncio.create_task(_run_worker(rt, w)) for w in rt.workers]
            log.info("%s started", name)
            try:
                yield
            finally:
                rt.stopping.set()
                for w in rt.workers:
                    w.stop()
                rt.kafka_up.set()
                await asyncio.gather(boot, *tasks, return_exceptions=True)
        await rt.producer.stop()
        if rt.probe is not None:
            await rt.probe.close()
        await rt.db.dispose()
        tracing.shutdown()
        log.info("%s stopped", name)

    docs = {} if settings.docs else {"docs_url": None, "redoc_url": None, "openapi_url": None}
    app = FastAPI(title=f"leadrelay {name}", lifespan=lifespan, **docs)  # type: ignore[arg-type]
    app.state.settings = settings
    app.include_router(_ops_router())
    for router in routers:
        app.include_router(router)
    install_error_handlers(app)
    if tracing.setup(name, settings.otlp_endpoint):
        tracing.instrument_app(app)
    app.add_middleware(BodyLimit, caps=body_caps, default_bytes=settings.max_body_bytes)
    app.add_middleware(HttpMetrics)
    app.add_middleware(RequestCorrelation)
    return app


def _ops_router() -> APIRouter:
    router = APIRouter(tags=["ops"])

    @router.get("/healthz", dependencies=[Public])
    async def healthz(request: Request) -> JSONResponse:
        rt: Runtime | None = getattr(request.app.state, "runtime", None)
        if rt is not None and rt.failed_worker is not None:
            return JSONResponse({"status": "worker_failed", "worker": rt.failed_worker}, status_code=503)
        return JSONResponse({"status": "ok"})

    @router.get("/readyz", dependencies=[Public])
    async def readyz(request: Request) -> JSONResponse:
        rt: Runtime = request.app.state.runtime
        if rt.probe is None:
            rt.probe = BrokerProbe(rt.settings)
        db_ok, broker_ok = await asyncio.gather(rt.db.reachable(), rt.probe.reachable())
        checks = {"database": db_ok, "broker": broker_ok and rt.kafka_up.is_set()}
        causes: dict[str, str] = {}
        if not broker_ok and rt.probe.failure:
            causes["broker"] = rt.probe.failure
        elif rt.missing_topics:
            causes["broker"] = f"topics missing (run `leadrelay topics apply`): {', '.join(rt.missing_topics)}"
        for worker in rt.workers:
            checks.update(worker.readiness())
        required = {k: v for k, v in checks.items() if k != "broker" or rt.broker_required_for_ready}
        ready = all(required.values())
        metrics.READY.set(1 if ready else 0)
        body: dict[str, object] = {"ready": ready, "checks": checks}
        if causes:
            body["causes"] = causes
        return JSONResponse(body, status_code=200 if ready else 503)

    @router.get("/metrics", dependencies=[Depends(operator("ops:read"))])
    async def prometheus_metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router
