"""The wanted-types cache against the real database: loaded once while the listener is up, dropped
when another replica's subscription change is announced (NOTIFY at commit), and not trusted at all
while the listener is down."""

import asyncio
import uuid

from services.outbound import store
from services.outbound.wanted import CHANNEL, WantedTypes
from shared.db import Database
from shared.pg_listener import PgListener
from tests.support.stack import Stack


async def test_another_replicas_new_subscription_is_seen_and_a_down_listener_is_not_trusted(
    stack: Stack, db: Database
) -> None:
    wanted = WantedTypes(db, lambda: listener.listening)
    listener = PgListener(stack.settings().database_url, CHANNEL, wanted.invalidate)
    assert await wanted.current() is None, "not listening yet: unknown"
    task = asyncio.create_task(listener.run())
    kind, sub_id = f"test-{uuid.uuid4().hex[:8]}", uuid.uuid4()
    try:
        async with asyncio.timeout(10):
            while not listener.listening:
                await asyncio.sleep(0.02)
        before = await wanted.current()
        assert before is not None and kind not in before
        async with db.session_scope() as session:
            await store.create(session, sub_id, "webhook", "https://hooks.example.com/w", [kind], "whsec_", "")
        async with asyncio.timeout(10):
            while kind not in (await wanted.current() or frozenset()):
                await asyncio.sleep(0.05)
    finally:
        listener.stop()
        await task
        async with db.session_scope() as session:
            await store.delete(session, sub_id)
    assert await wanted.current() is None, "a stopped listener hears nothing: unknown again"
