from pydantic import Field

from shared.settings import BaseServiceSettings


class OutboundSettings(BaseServiceSettings):
    port: int = 8007
    retry_base_s: float = Field(default=5.0, gt=0, description="A failed delivery waits this, doubling per attempt.")
    retry_cap_s: float = Field(default=3600.0, gt=0, description="The longest wait between two attempts.")
    max_attempts: int = Field(default=12, ge=1, description="Attempts before a delivery is failed for good.")
    disable_after: int = Field(
        default=50, ge=1, description="Failures in a row after which a subscription is disabled (with an alert)."
    )
    send_timeout_s: float = Field(default=10.0, gt=0)
    allowed_hosts: list[str] | None = Field(
        default=None, description='If set, the only hosts a webhook URL may name (e.g. ["hooks.zapier.com"]).'
    )
    allow_private_urls: bool = Field(
        default=False,
        description="Allow webhook URLs on loopback or private addresses: development only (refused otherwise).",
    )

    def private_urls_refused(self) -> str | None:
        """Why these settings may not start outside development, if they may not."""
        if self.allow_private_urls and not self.development:
            return "LEADRELAY_ALLOW_PRIVATE_URLS lets webhooks reach this network: it is for development only"
        return None
