"""The HTTP client for provider calls on the hot path (Slack, Twilio, the CRMs): httpx's API with
aiohttp's transport underneath (`httpx-aiohttp`). The code that calls providers is plain httpx;
timeouts carry over, transport failures arrive as httpx's `TransportError` subclasses, and with
tracing on each call is a client span.

Why: measured on this machine with 32 requests in flight to a local JSON endpoint, httpx's default
transport (httpcore over anyio) cost 2.0 ms of CPU per request, the aiohttp transport 0.38 ms
(client and server together, same process, same requests). notify makes one such call per alert."""

import httpx
from httpx_aiohttp import AiohttpTransport

from shared import tracing


def provider_client(timeout: httpx.Timeout, max_connections: int = 100) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
    return httpx.AsyncClient(timeout=timeout, transport=tracing.traced(AiohttpTransport(limits=limits)))
