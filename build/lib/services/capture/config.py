from pydantic import Field

from shared.settings import BaseServiceSettings


class CaptureSettings(BaseServiceSettings):
    port: int = 8001
    outbox_batch: int = 200
    dedupe_window_hours: int = 24
    max_import_bytes: int = Field(default=5 * 1024 * 1024, ge=1024, description="Cap on a CSV import.")
    max_events_batch_bytes: int = Field(default=1024 * 1024, ge=1024, description="Cap on POST /v1/events/batch.")
    max_import_rows: int = Field(default=20_000, ge=1, description="Most lead rows in one CSV import.")
    max_message_bytes: int = Field(
        default=900 * 1024, ge=1024, description="Largest event published; keep under the broker's message.max.bytes."
    )
