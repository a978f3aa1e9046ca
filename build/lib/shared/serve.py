"""Run one service's FastAPI app under uvicorn (the `python -m services.<name>` entry point)."""

import uvicorn

from shared.settings import BaseServiceSettings


def serve(app_path: str, settings: BaseServiceSettings) -> None:
    uvicorn.run(app_path, host=settings.host, port=settings.port, log_config=None, timeout_graceful_shutdown=20)
