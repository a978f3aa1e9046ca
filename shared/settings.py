"""Process settings from the environment (prefix LEADRELAY_), read once at start-up.

Any setting can also come from a file: `LEADRELAY_<NAME>_FILE=/run/secrets/x` reads the value from that
file (trailing newline dropped), the way Kubernetes and Docker mount secrets."""

import ipaddress
import os
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict

from shared.kafka_security import KafkaSecuritySettings

ROOT = Path(__file__).resolve().parent.parent
PREFIX = "LEADRELAY_"

Scope = Literal["intake", "outcomes", "claim", "ops:read", "ops:write"]


class ApiKey(BaseModel):
    """One API key: who holds it (`name`, also the lead source for generic intake), what it may do, and
    for a rep's own key the rep it acts as."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")
    key: SecretStr = Field(min_length=1)
    scopes: list[Scope] = Field(min_length=1)
    rep: str | None = Field(default=None, description="A rep's own key: claims only as this rep.")


class FileSecrets(PydanticBaseSettingsSource):
    """`LEADRELAY_<FIELD>_FILE` names a file holding that field's value."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        path = os.environ.get(f"{PREFIX}{field_name.upper()}_FILE")
        if not path:
            return None, field_name, False
        value = Path(path).read_text().rstrip("\n")
        return value, field_name, self.field_is_complex(field)

    def __call__(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for name, info in self.settings_cls.model_fields.items():
            value, key, complex_ = self.get_field_value(info, name)
            if value is not None:
                found[key] = self.decode_complex_value(key, info, value) if complex_ else value
        return found


class BaseServiceSettings(KafkaSecuritySettings):
    """What every leadrelay process needs; each service extends it with its own fields."""

    model_config = SettingsConfigDict(env_prefix=PREFIX, env_file=".env", env_ignore_empty=True, extra="ignore")

    env: Literal["production", "development"] = Field(
        default="production", description="development allows the local default secrets of `make run`."
    )
    kafka_bootstrap: str = "127.0.0.1:9192"
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:55432/leadrelay"
    topic_prefix: str = Field(default="", description="Namespace for topics and consumer groups.")
    topic_partitions: int = Field(default=6, ge=1)
    topic_replication: int = Field(default=1, ge=1, description="Replicas per topic: 3 in production.")
    topic_min_insync_replicas: int = Field(default=1, ge=1, description="min.insync.replicas: 2 in production.")
    topic_retention_ms: int = Field(
        default=-1, ge=-1, description="retention.ms of the event topics; -1 (forever) lets insights rebuild."
    )
    dlq_retention_ms: int = Field(
        default=90 * 24 * 3600 * 1000, ge=-1, description="retention.ms of the .dlq topics (dlq replay's horizon)."
    )
    create_topics: bool | None = Field(
        default=None,
        description="Services create missing topics at boot (default: development only; in production"
        " `leadrelay topics apply` provisions them and services only check).",
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Addresses or CIDRs of the reverse proxies whose X-Forwarded-For/-Proto are believed"
        " (JSON list or comma-separated); empty: none, the peer address is the client.",
    )
    public_url: str | None = Field(
        default=None,
        description="This service's URL as the outside world calls it (https://leads.example.com): vendor"
        " signatures over the URL, the links it mints, and Secure cookies use it.",
    )
    config: Path = ROOT / "config" / "leadrelay.example.yaml"
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "INFO"
    handler_max_attempts: int = Field(default=4, ge=1)
    retry_backoff_ms: int = Field(default=100, ge=0)
    max_batch: int = Field(default=200, ge=1)
    otlp_endpoint: str | None = Field(
        default=None,
        description="OTLP/HTTP traces endpoint (e.g. http://collector:4318/v1/traces); tracing is off without it.",
    )
    api_keys: list[ApiKey] = Field(
        default_factory=list,
        description='JSON list of {"name", "key", "scopes": [intake|outcomes|claim|ops:read|ops:write], "rep"?};'
        " a bare string is an intake-only key.",
    )
    max_body_bytes: int = Field(default=256 * 1024, ge=1024, description="Cap on any request body.")
    docs_enabled: bool | None = Field(default=None, description="/docs and /openapi.json (default: development only).")

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.lstrip().startswith("["):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for entry in value:
            ipaddress.ip_network(entry, strict=False)
        return value

    @field_validator("api_keys", mode="before")
    @classmethod
    def _bare_keys(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [
                {"name": f"key{i + 1}", "key": v, "scopes": ["intake"]} if isinstance(v, str) else v
                for i, v in enumerate(value)
            ]
        return value

    @property
    def development(self) -> bool:
        return self.env == "development"

    @property
    def creates_topics(self) -> bool:
        return self.development if self.create_topics is None else self.create_topics

    @property
    def docs(self) -> bool:
        return self.development if self.docs_enabled is None else self.docs_enabled

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, env_settings, FileSecrets(settings_cls), dotenv_settings, file_secret_settings


def secret_values(settings: BaseSettings) -> list[tuple[str, str]]:
    """Every secret in these settings as (setting name, value), API keys included."""
    found = []
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            found.append((name, value.get_secret_value()))
        elif isinstance(value, list):
            found += [(f"{name}.{k.name}", k.key.get_secret_value()) for k in value if isinstance(k, ApiKey)]
    return found
