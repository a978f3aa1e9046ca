"""Every LEADRELAY_ variable some service reads, for checks of the shipped deploy files."""

from pydantic_settings import BaseSettings

from services.capture.config import CaptureSettings
from services.enrich.config import EnrichSettings
from services.insights.config import InsightsSettings
from services.notify.channels.salesforce import SalesforceSettings
from services.notify.config import NotifySettings
from services.outbound.config import OutboundSettings
from services.route.config import RouteSettings
from services.score.config import ScoreSettings
from shared.hubspot_api import HubSpotSettings
from shared.settings import BaseServiceSettings

SETTINGS: dict[str, type[BaseServiceSettings]] = {
    "capture": CaptureSettings,
    "enrich": EnrichSettings,
    "score": ScoreSettings,
    "route": RouteSettings,
    "notify": NotifySettings,
    "insights": InsightsSettings,
    "outbound": OutboundSettings,
}
CHANNEL_SETTINGS: dict[str, type[BaseSettings]] = {
    "LEADRELAY_HUBSPOT_": HubSpotSettings,
    "LEADRELAY_SALESFORCE_": SalesforceSettings,
}
SETTING_VARS = {f"LEADRELAY_{name.upper()}" for cls in SETTINGS.values() for name in cls.model_fields} | {
    f"{prefix}{name.upper()}" for prefix, cls in CHANNEL_SETTINGS.items() for name in cls.model_fields
}
KNOWN_VARS = SETTING_VARS | {f"{var}_FILE" for var in SETTING_VARS}
"""A setting, or the file holding its value (LEADRELAY_<NAME>_FILE, see shared/settings.py)."""
