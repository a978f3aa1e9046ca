"""Run one service's FastAPI app under uvicorn (the `python -m services.<name>` entry point)."""

import uvicorn

from shared.settings import BaseServiceSettings


def serve(app_path: str, settings: BaseServiceSettings) -> None:
    """X-Forwarded-For and X-Forwarded-Proto are believed only from LEADRELAY_TRUSTED_PROXIES (none by
    default, not even 127.0.0.1): otherwise anyone could set them and pick their own client address."""
    uvicorn.run(
        app_path,
        host=settings.host,
        port=settings.port,
        log_config=None,
        timeout_graceful_shutdown=20,
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=list(settings.trusted_proxies),
    )
