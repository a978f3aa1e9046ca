from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import httpx

from services.notify.config import NotifySettings
from services.notify.handler import STAGE, NotifyDeps
from services.notify.slack_client import SlackClient
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
        yield [StageRunner(STAGE, NotifyDeps(rt.db, slack), settings, rt.producer)]


app = create_app("notify", settings, setup)
