from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import timedelta

import httpx

from services.notify.config import NotifySettings
from services.notify.handler import STAGE, ClaimLinks, NotifyDeps
from services.notify.interactions import router
from services.notify.slack_client import SlackClient
from shared.http_errors import install_error_handlers
from shared.runtime import StageRunner
from shared.service import Runtime, Worker, create_app

settings = NotifySettings()


@asynccontextmanager
async def setup(rt: Runtime) -> AsyncIterator[Sequence[Worker]]:
    async with httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=3.0)) as http:
        slack = SlackClient(
            http,
            settings.slack_api_url,
            settings.slack_bot_token.get_secret_value(),
            settings.slack_max_attempts,
            settings.slack_max_retry_after_s,
        )
        links = None
        if settings.claim_link_secret is not None:
            links = ClaimLinks(
                settings.claim_link_secret.get_secret_value(),
                settings.claim_base_url,
                timedelta(hours=settings.claim_link_ttl_hours),
            )
        app.state.settings, app.state.http, app.state.slack, app.state.background = settings, http, slack, set()
        yield [StageRunner(STAGE, NotifyDeps(rt.db, slack, links), settings, rt.producer)]


app = create_app("notify", settings, setup, [router])
install_error_handlers(app)
