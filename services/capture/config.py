from shared.settings import BaseServiceSettings


class CaptureSettings(BaseServiceSettings):
    port: int = 8001
    outbox_batch: int = 200
    dedupe_window_hours: int = 24
