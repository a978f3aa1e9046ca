"""Servers run inside the test's event loop (the Slack stand-in) on a free 127.0.0.1 port (`free_port`
is re-exported here for the tests that import it from this module)."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI

from tests.support.ports import free_port

__all__ = ["free_port", "serve_app"]


@asynccontextmanager
async def serve_app(app: FastAPI) -> AsyncIterator[str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
