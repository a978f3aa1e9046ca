"""Process settings from the environment (prefix LEADRELAY_), read once at start-up."""

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent


class BaseServiceSettings(BaseSettings):
    """What every leadrelay process needs; each service extends it with its own fields."""

    model_config = SettingsConfigDict(env_prefix="LEADRELAY_", env_file=".env", env_ignore_empty=True, extra="ignore")

    kafka_bootstrap: str = "127.0.0.1:9192"
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:55432/leadrelay"
    topic_prefix: str = Field(default="", description="Namespace for topics and consumer groups.")
    topic_partitions: int = Field(default=6, ge=1)
    config: Path = ROOT / "config" / "leadrelay.example.yaml"
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "INFO"
    handler_max_attempts: int = Field(default=4, ge=1)
    retry_backoff_ms: int = Field(default=100, ge=0)
    max_batch: int = Field(default=200, ge=1)
