from pydantic import Field, SecretStr

from shared.settings import BaseServiceSettings


class InsightsSettings(BaseServiceSettings):
    port: int = 8006
    route_url: str = Field(default="http://127.0.0.1:8004", description="route's API: reps, pause, simulate, claim.")
    route_api_key: SecretStr | None = Field(
        default=None, description="A key route accepts with ops:read, ops:write and claim (the console acts with it)."
    )
    capture_url: str = Field(default="http://127.0.0.1:8001", description="capture's API: field reviews.")
    capture_api_key: SecretStr | None = Field(
        default=None,
        description="A key capture accepts with ops:read and ops:write; default: route_api_key (the console's key).",
    )
    session_secret: SecretStr = Field(
        default=SecretStr("local-console-session-secret"), description="Signs console session cookies."
    )
    session_hours: float = Field(default=12.0, gt=0)
    gauges_interval_s: float = Field(default=15.0, gt=0, description="How often the SLA gauges are recomputed.")
