"""Servers run inside the test's event loop (the Slack stand-in) on a free 127.0.0.1 port."""

import asyncio
import random
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI

LISTEN_PORTS = range(20000, 32000)
"""Below Linux's ephemeral range (32768-60999): a port picked there can be taken by some client's
outgoing connection between the pick and the server's bind, which made a stand-in fail to start."""


def free_port() -> int:
    for _ in range(200):
        port = random.choice(LISTEN_PORTS)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port below the ephemeral range")


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
