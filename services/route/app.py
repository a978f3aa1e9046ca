from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from services.route.api import router
from services.route.claim_pages import router as claim_pages
from services.route.config import RouteSettings
from services.route.config_api import router as config_router
from services.route.config_publish import ConfigPublisher
from services.route.desk_api import router as desk_router
from services.route.handler import STAGE, RouteDeps
from services.route.operator_actions import router as operator_router
from services.route.recycling import StalledRecycler
from services.route.sla import SlaClock
from services.route.store.pools import PoolStore
from services.route.strategies import config_or_exit, usable
from shared.business.loader import BusinessConfig, load_config_or_exit
from shared.live_config import ConfigFollower, LiveConfig
from shared.publish import Publisher
from shared.runtime import StageRunner
from shared.secret_policy import refuse_weak_secrets
from shared.service import Runtime, Worker, create_app

settings = RouteSettings()
config = config_or_exit(load_config_or_exit(settings.config))
refuse_weak_secrets(settings, config)


def utc_now() -> datetime:
    return datetime.now(UTC)


@asynccontextmanager
async def setup(rt: Runtime) -> AsyncIterator[Sequence[Worker]]:
    async def sync(config: BusinessConfig) -> None:
        async with rt.db.session_scope() as session:
            await PoolStore(session).sync_config(config)

    await sync(config)
    live = LiveConfig(config, check=usable, prepare=sync)
    deps = RouteDeps(rt.db, config, utc_now, Publisher(rt.producer, settings).publish, live)
    app.state.route_deps = deps
    app.state.publisher = ConfigPublisher(rt.db, rt.producer, settings, live)
    yield [
        ConfigFollower(live, settings, rt.db, "route"),
        StageRunner(STAGE, deps, settings, rt.producer),
        SlaClock(deps.uow, live, utc_now),
        StalledRecycler(deps.uow, live, utc_now),
    ]


app = create_app("route", settings, setup, [router, claim_pages, config_router, desk_router, operator_router])
