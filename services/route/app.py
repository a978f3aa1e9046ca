from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from services.route import repository
from services.route.config import RouteSettings
from services.route.handler import STAGE, RouteDeps
from shared.business_config import load_config_or_exit
from shared.runtime import StageRunner
from shared.service import Runtime, Worker, create_app

settings = RouteSettings()
config = load_config_or_exit(settings.config)


@asynccontextmanager
async def setup(rt: Runtime) -> AsyncIterator[Sequence[Worker]]:
    async with rt.db.session_scope() as session:
        await repository.sync_config(session, config)
    yield [StageRunner(STAGE, RouteDeps(rt.db, config), settings, rt.producer)]


app = create_app("route", settings, setup)
