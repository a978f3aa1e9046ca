"""Session fixtures for the tiers that need the real Kafka and PostgreSQL (unit tests use none)."""

from collections.abc import AsyncIterator

import pytest

from tests.support.stack import Stack, close_stack, open_stack


@pytest.fixture(scope="session")
async def stack() -> AsyncIterator[Stack]:
    s = await open_stack()
    yield s
    await close_stack(s)
