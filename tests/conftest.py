"""Session fixtures for the tiers that need the real Kafka and PostgreSQL (unit tests use none)."""

from collections.abc import AsyncIterator

import pytest

from tests.support.stack import Stack, close_stack, open_stack


@pytest.fixture(scope="session")
async def stack() -> AsyncIterator[Stack]:
    s = await open_stack()
    yield s
    await close_stack(s)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    from tests.support.report import LINES

    if LINES:
        terminalreporter.section("measured, not asserted")
        for line in LINES:
            terminalreporter.write_line(line)
