from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest
from sqlalchemy import text

from shared.db import Database, make_engine
from tests.integration.stages import SCHEMA_SQL
from tests.support.capture_proc import start_capture
from tests.support.stack import Stack


@pytest.fixture(scope="session")
async def db(stack: Stack) -> AsyncIterator[Database]:
    database = Database(make_engine(stack.settings().database_url))
    async with database.session_scope() as session:
        for sql in SCHEMA_SQL:
            await session.execute(text(sql))
    yield database
    await database.dispose()


@pytest.fixture(scope="module")
def capture(stack: Stack) -> Iterator[str]:
    """A capture process for the test module, stopped gracefully (SIGTERM) at its end."""
    proc, base = start_capture(stack)
    yield base
    assert proc.stop(), proc.tail()


@pytest.fixture
async def pg(stack: Stack) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(stack.dsn)
    yield conn
    await conn.close()
