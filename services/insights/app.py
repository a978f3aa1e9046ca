from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import httpx

from services.insights.api import router as api_router
from services.insights.capture_client import CaptureClient
from services.insights.config import InsightsSettings
from services.insights.console import router as console_router
from services.insights.gauges import SlaGauges
from services.insights.handler import STAGE
from services.insights.route_client import RouteClient
from services.insights.rules_editor import router as rules_router
from shared.business.loader import load_config_or_exit
from shared.live_config import ConfigFollower, LiveConfig
from shared.runtime import StageRunner
from shared.secret_policy import refuse_weak_secrets
from shared.service import Runtime, Worker, create_app

settings = InsightsSettings()
config = load_config_or_exit(settings.config)
refuse_weak_secrets(settings, config)


@asynccontextmanager
async def setup(rt: Runtime) -> AsyncIterator[Sequence[Worker]]:
    async with httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=3.0)) as http:
        key = settings.route_api_key.get_secret_value() if settings.route_api_key else None
        app.state.route = RouteClient(http, settings.route_url, key)
        capture_key = settings.capture_api_key.get_secret_value() if settings.capture_api_key else key
        app.state.capture = CaptureClient(http, settings.capture_url, capture_key)
        yield [
            ConfigFollower(live, settings, rt.db, "insights"),
            StageRunner(STAGE, rt.db, settings, rt.producer),
            SlaGauges(rt.db, settings.gauges_interval_s),
        ]


app = create_app("insights", settings, setup, [api_router, console_router, rules_router])
live = LiveConfig(config)
"""The routing version in force: the reports' reps, pools and weights."""
app.state.config = config
app.state.live = live
app.state.session_secret = settings.session_secret.get_secret_value()
