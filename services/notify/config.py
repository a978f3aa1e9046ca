from pydantic import Field, SecretStr, field_validator

from shared.settings import BaseServiceSettings


class NotifySettings(BaseServiceSettings):
    port: int = 8005
    slack_api_url: str = "https://slack.com/api"
    slack_bot_token: SecretStr = SecretStr("")
    slack_max_attempts: int = Field(default=5, ge=1)
    slack_max_retry_after_s: float = 30.0

    @field_validator("slack_bot_token")
    @classmethod
    def _token_given(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().startswith("xox"):
            raise ValueError("set LEADRELAY_SLACK_BOT_TOKEN to a Slack bot token (xoxb-...)")
        return value
