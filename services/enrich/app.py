from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from services.enrich.accounts import AccountMatcher
from services.enrich.config import EnrichSettings
from services.enrich.handler import STAGE
from services.enrich.reference_data import ReferenceData, load_companies, load_domain_list
from shared.business.loader import load_config_or_exit
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
        accounts=AccountMatcher(config.accounts, config.routing.account_matching),
    )
    yield [StageRunner(STAGE, ref, settings, rt.producer)]


app = create_app("enrich", settings, setup)
