from pydantic import Field, SecretStr

from shared.settings import BaseServiceSettings


class CaptureSettings(BaseServiceSettings):
    port: int = 8001
    outbox_batch: int = 200
    dedupe_window_hours: int = 24
    api_keys: list[SecretStr] = Field(default_factory=list, description='JSON list, e.g. ["key-1","key-2"].')
