from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text

from shared.db import Database, make_engine
from tests.integration.stages import SCHEMA_SQL
from tests.support.stack import Stack


@pytest.fixture(scope="session")
async def db(stack: Stack) -> AsyncIterator[Database]:
    database = Database(make_engine(stack.settings().database_url))
    async with database.session_scope() as session:
        for sql in SCHEMA_SQL:
            await session.execute(text(sql))
    yield database
    await database.dispose()
