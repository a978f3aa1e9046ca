"""capture's process: the intake API plus the outbox relay and its NOTIFY listener. Ready needs
PostgreSQL only, because intake must keep accepting leads while Kafka is down."""

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import httpx

from services.capture.activity_batch import event_commit
from services.capture.api import router
from services.capture.config import CaptureSettings
from services.capture.events_batch import router as events_batch_router
from services.capture.forms_api import FormLimits
from services.capture.forms_api import router as forms_router
from services.capture.lead_batch import lead_commit
from services.capture.outbox import OutboxRelay
from services.capture.outbox_listener import OutboxListener
from services.capture.review_api import router as review_router
from services.capture.source_preview import router as preview_router
from services.capture.vendor_api import router as vendor_router
from shared.body_limit import BodyCap
from shared.business.loader import load_config_or_exit
from shared.secret_policy import refuse_weak_secrets
from shared.service import Runtime, Worker, create_app

settings = CaptureSettings()
config = load_config_or_exit(settings.config)
refuse_weak_secrets(settings, config)


@asynccontextmanager
async def setup(rt: Runtime) -> AsyncIterator[Sequence[Worker]]:
    relay = OutboxRelay(rt.db, rt.producer, settings.outbox_batch)
    app.state.relay = relay
    app.state.event_commit = event_commit(rt.db, settings)
    app.state.lead_commit = lead_commit(rt.db, settings)
    rt.broker_required_for_ready = False
    async with httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=3.0)) as http:
        app.state.http = http
        yield [relay, OutboxListener(settings.database_url, relay.wake)]


app = create_app(
    "capture",
    settings,
    setup,
    [router, vendor_router, forms_router, events_batch_router, preview_router, review_router],
    body_caps=[
        BodyCap("/v1/imports", settings.max_import_bytes + 64 * 1024, streaming=True),
        BodyCap("/v1/events/batch", settings.max_events_batch_bytes),
    ],
)
app.state.config = config
app.state.form_limits = FormLimits()
