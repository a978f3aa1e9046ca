from typing import Self
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator

from services.notify.pacing import Pace
from shared.settings import BaseServiceSettings


class NotifySettings(BaseServiceSettings):
    port: int = 8005
    slack_api_url: str = "https://slack.com/api"
    slack_bot_token: SecretStr = SecretStr("")
    slack_signing_secret: SecretStr | None = Field(default=None, description="Verifies Claim button clicks.")
    slack_max_attempts: int = Field(default=5, ge=1)
    slack_max_retry_after_s: float = 30.0
    route_url: str = Field(default="http://127.0.0.1:8004", description="Where claims are recorded.")
    route_api_key: SecretStr | None = Field(default=None, description="notify's key at route, with the claim scope.")
    claim_link_secret: SecretStr | None = Field(default=None, description="Shared with route; no links if unset.")
    claim_base_url: str = Field(default="http://127.0.0.1:8004", description="Public base URL of route's links.")
    claim_link_ttl_hours: float = Field(default=24, gt=0)
    public_url: str = Field(
        default="http://127.0.0.1:8005", description="notify's public base URL (escalation digest pages)."
    )
    console_url: str | None = Field(default=None, description="The console's URL, linked from escalation digests.")
    twilio_api_url: str = "https://api.twilio.com"
    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None
    twilio_from: str | None = Field(default=None, description="The sending number, E.164.")
    twilio_status_callback_url: str | None = Field(
        default=None,
        description="Public URL of POST /v1/twilio/status, as Twilio calls it (default: public_url + that path).",
    )
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_from: str = "leadrelay <alerts@leadrelay.local>"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool | None = Field(
        default=None,
        description="STARTTLS before authenticating; default: on for port 587 (submission), as providers require."
        " Port 465 uses implicit TLS.",
    )
    smtp_ca_file: str | None = Field(
        default=None,
        description="A CA bundle for a relay whose certificate a private CA signed (default: the system's).",
    )

    @property
    def smtp_uses_starttls(self) -> bool:
        return self.smtp_port == 587 if self.smtp_starttls is None else self.smtp_starttls

    channel_paces: dict[str, Pace] = Field(
        default_factory=lambda: {"slack": Pace(per_second=1.0, burst=3), "sms": Pace(per_second=1.0, burst=3)},
        description="Per rep and channel: Slack allows about 1 message/s per conversation with short bursts."
        " A channel not listed, or per_second 0, is unpaced.",
    )
    send_concurrency: int = Field(default=32, ge=1, description="Provider calls in flight at once.")
    delivery_max_attempts: int = Field(default=6, ge=1)
    delivery_retry_base_s: float = Field(default=2.0, gt=0, description="Backoff doubles from this per attempt.")

    @model_validator(mode="after")
    def _callback_from_public_url(self) -> Self:
        """Twilio signs the callback URL it was given: by default notify's public URL + the path."""
        if self.twilio_status_callback_url is None and "public_url" in self.model_fields_set:
            self.twilio_status_callback_url = f"{self.public_url.rstrip('/')}/v1/twilio/status"
        return self

    def loopback_links(self) -> list[str]:
        """The link settings that still point at this machine: fine for a local run, but a rep's
        phone cannot open such a link."""
        urls = {
            "LEADRELAY_CLAIM_BASE_URL": self.claim_base_url,
            "LEADRELAY_PUBLIC_URL": self.public_url,
            "LEADRELAY_CONSOLE_URL": self.console_url or "",
        }
        return [name for name, url in urls.items() if urlsplit(url).hostname in ("127.0.0.1", "localhost", "::1")]

    @field_validator("slack_bot_token")
    @classmethod
    def _token_given(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().startswith("xox"):
            raise ValueError("set LEADRELAY_SLACK_BOT_TOKEN to a Slack bot token (xoxb-...)")
        return value
