from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from services.score.config import ScoreSettings
from services.score.handler import STAGE
from shared.business_config import load_config_or_exit
from shared.runtime import StageRunner
from shared.service import Runtime, Worker, create_app

settings = ScoreSettings()
config = load_config_or_exit(settings.config)


@asynccontextmanager
async def setup(rt: Runtime) -> AsyncIterator[Sequence[Worker]]:
    yield [StageRunner(STAGE, config, settings, rt.producer)]


app = create_app("score", settings, setup)
