"""Source types by the name used in the config's `sources:` list."""

from services.capture.sources.base import SourceAdapter
from services.capture.sources.calendly import Calendly
from services.capture.sources.hubspot import HubSpot
from services.capture.sources.hubspot_app import HubSpotApp
from services.capture.sources.meta import MetaLeadAds
from services.capture.sources.outreach import Outreach
from services.capture.sources.standard import StandardWebhooks
from services.capture.sources.typeform import Typeform
from services.capture.sources.unbounce import Unbounce
from services.capture.sources.webflow import Webflow

ADAPTERS: dict[str, SourceAdapter] = {
    "standard_webhooks": StandardWebhooks(),
    "typeform": Typeform(),
    "calendly": Calendly(),
    "hubspot": HubSpot(),
    "hubspot_app": HubSpotApp(),
    "webflow": Webflow(),
    "unbounce": Unbounce(),
    "outreach": Outreach(),
    "meta_lead_ads": MetaLeadAds(),
}
