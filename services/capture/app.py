"""capture's process: the intake API plus the outbox relay. Ready needs PostgreSQL only, because
intake must keep accepting leads while Kafka is down."""

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import httpx

from services.capture.api import router
from services.capture.config import CaptureSettings
from services.capture.outbox import OutboxRelay
from services.capture.vendor_api import router as vendor_router
from shared.business_config import load_config_or_exit
from shared.http_errors import install_error_handlers
from shared.service import Runtime, Worker, create_app

settings = CaptureSettings()
config = load_config_or_exit(settings.config)


@asynccontextmanager
async def setup(rt: Runtime) -> AsyncIterator[Sequence[Worker]]:
    relay = OutboxRelay(rt.db, rt.producer, settings.outbox_batch)
    app.state.relay = relay
    app.state.config = config
    rt.broker_required_for_ready = False
    async with httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=3.0)) as http:
        app.state.http = http
        yield [relay]


app = create_app("capture", settings, setup, [router, vendor_router])
install_error_handlers(app)
