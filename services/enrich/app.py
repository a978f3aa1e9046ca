from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from services.enrich.config import EnrichSettings
from services.enrich.handler import STAGE, EnrichDeps
from services.enrich.reference_data import ReferenceData, load_companies, load_domain_list
from shared.business.loader import load_config_or_exit
from shared.live_config import ConfigFollower, LiveConfig
from shared.runtime import StageRunner
from shared.secret_policy import refuse_weak_secrets
from shared.service import Runtime, Worker, create_app

settings = EnrichSettings()
config = load_config_or_exit(settings.config)
refuse_weak_secrets(settings)


@asynccontextmanager
async def setup(rt: Runtime) -> AsyncIterator[Sequence[Worker]]:
    ref = ReferenceData(
        companies=load_companies(settings.companies_csv),
        free_mail=load_domain_list(settings.free_mail_list),
        disposable=load_domain_list(settings.disposable_list),
        default_phone_region=settings.default_phone_region,
    )
    live = LiveConfig(config)
    deps = EnrichDeps(ref, live)
    yield [ConfigFollower(live, settings, rt.db, "enrich"), StageRunner(STAGE, deps, settings, rt.producer)]


app = create_app("enrich", settings, setup)
