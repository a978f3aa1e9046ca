import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from uuid import NAMESPACE_URL, uuid5

import httpx

from services.outbound import store
from services.outbound.api import router
from services.outbound.config import OutboundSettings
from services.outbound.destinations import Destination, HubSpotListDestination, WebhookDestination
from services.outbound.handler import STAGE, OutboundDeps
from services.outbound.sender import Sender
from services.outbound.wanted import CHANNEL, WantedTypes
from shared.business.loader import load_config_or_exit
from shared.hubspot_api import api_from_env
from shared.pg_listener import PgListener
from shared.runtime import StageRunner
from shared.secret_policy import refuse_weak_secrets
from shared.service import Runtime, Worker, create_app

settings = OutboundSettings()
config = load_config_or_exit(settings.config)
refuse_weak_secrets(settings, config)
if (refused := settings.private_urls_refused()) is not None:
    sys.exit(refused)


@asynccontextmanager
async def setup(rt: Runtime) -> AsyncIterator[Sequence[Worker]]:
    async with httpx.AsyncClient(timeout=httpx.Timeout(settings.send_timeout_s, connect=3.0)) as http:
        destinations: dict[str, Destination] = {
            "webhook": WebhookDestination(http, settings.send_timeout_s, guard=not settings.allow_private_urls),
            "hubspot_list": HubSpotListDestination(api_from_env(http)),
        }
        if (list_id := config.handoff.hubspot_list_id) is not None:
            async with rt.db.session_scope() as session:
                sub_id = uuid5(NAMESPACE_URL, f"leadrelay:hubspot_list:{list_id}")
                events = ["nurtured", "assigned", "escalated"]
                await store.create(session, sub_id, "hubspot_list", list_id, events, "", "nurture hand-off")
        listener = PgListener(settings.database_url, CHANNEL, lambda: wanted.invalidate())
        wanted = WantedTypes(rt.db, lambda: listener.listening)
        sender = Sender(rt.db, destinations, settings)
        app.state.sender, app.state.wanted = sender, wanted
        deps = OutboundDeps(rt.db, sender.wake.set, wanted.current)
        yield [StageRunner(STAGE, deps, settings, rt.producer), sender, listener]


app = create_app("outbound", settings, setup, [router])
app.state.config = config
