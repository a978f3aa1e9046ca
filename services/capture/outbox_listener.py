"""Wakes the outbox relay when any capture replica commits outbox rows: LISTEN capture_outbox (the
trigger in migration 0009 sends the NOTIFY at commit). If the connection drops (a PostgreSQL
restart), the relay still polls while this reconnects."""

import asyncio

from shared.pg_listener import PgListener

CHANNEL = "capture_outbox"


class OutboxListener(PgListener):
    def __init__(self, database_url: str, wake: asyncio.Event) -> None:
        super().__init__(database_url, CHANNEL, wake.set)
