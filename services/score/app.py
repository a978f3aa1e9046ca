from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from services.score.config import ScoreSettings
from services.score.handler import STAGE, ScoreDeps
from services.score.model_worker import ModelWorker
from services.score.rescorer import Rescorer
from shared.business.loader import load_config_or_exit
from shared.live_config import ConfigFollower, LiveConfig
from shared.runtime import StageRunner
from shared.secret_policy import refuse_weak_secrets
from shared.service import Runtime, Worker, create_app

settings = ScoreSettings()
config = load_config_or_exit(settings.config)
refuse_weak_secrets(settings, config)


def utc_now() -> datetime:
    return datetime.now(UTC)


@asynccontextmanager
async def setup(rt: Runtime) -> AsyncIterator[Sequence[Worker]]:
    models = ModelWorker(rt.db, config.scoring)
    await models.refresh()
    live = LiveConfig(config)
    deps = ScoreDeps(rt.db, config, utc_now, models.current, live)
    yield [
        ConfigFollower(live, settings, rt.db, "score"),
        StageRunner(STAGE, deps, settings, rt.producer),
        Rescorer(deps, rt.producer, settings),
        models,
    ]


app = create_app("score", settings, setup)
