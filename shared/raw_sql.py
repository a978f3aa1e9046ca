"""Hot statements through the asyncpg driver itself, inside the session's own transaction.

SQLAlchemy's `text()` costs 250-390 µs of Python per statement here against 42-58 µs for the same
prepared statement through asyncpg (`bench/sql_overhead.py`, `bench/results/sql-overhead.md`); a
stage's batch runs about ten statements, so at one lead per batch that overhead was a few ms of every
hop. These helpers keep SQLAlchemy for what it is good at (the pool, BEGIN, COMMIT, rollback, the
cold paths) and send the per-batch statements straight to the driver on the same connection and in
the same transaction, through asyncpg's own per-connection prepared-statement cache.

Statements keep SQLAlchemy's `:name` parameters (converted once to `$n`); rows are asyncpg records
that also answer attribute access, as SQLAlchemy rows do. Driver errors are raised as SQLAlchemy's
`DBAPIError`, so `shared.errors.is_transient` judges them exactly as it judges the other statements'.
"""

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

import asyncpg
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

_KEPT = "raw_sql.driver"
_PARAMETER = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


class Row(asyncpg.Record):  # type: ignore[misc]
    """An asyncpg record that also reads as `row.column`."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


@lru_cache(maxsize=256)
def positional(sql: str) -> tuple[str, tuple[str, ...]]:
    """`sql` with each `:name` replaced by `$n` (a name used twice keeps one number), and the names
    in parameter order. A `::type` cast is not a parameter."""
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in names:
            names.append(name)
        return f"${names.index(name) + 1}"

    return _PARAMETER.sub(number, sql), tuple(names)


async def _driver(session: AsyncSession) -> Any:
    """The session's asyncpg connection, with the session's transaction begun on it (SQLAlchemy's
    adapter sends BEGIN lazily, with its first statement; a statement sent around it before then
    would run outside the transaction). Kept for the rest of the same transaction: asking
    SQLAlchemy for it costs about as much as the statement's own Python."""
    transaction = session.get_transaction()
    kept = session.info.get(_KEPT)
    if transaction is not None and kept is not None and kept[0] is transaction:
        return kept[1]
    driver = await _begun_driver(session)
    session.info[_KEPT] = (session.get_transaction(), driver)
    return driver


async def _begun_driver(session: AsyncSession) -> Any:
    connection = await session.connection()
    adapted = (await connection.get_raw_connection()).dbapi_connection
    if adapted is None:
        raise RuntimeError("the session's connection is closed")
    if getattr(adapted, "_transaction", None) is None and adapted.isolation_level != "autocommit":
        async with adapted._execute_mutex:
            if adapted._transaction is None:
                await adapted._start_transaction()
    return adapted.driver_connection


def _values(names: Sequence[str], params: Mapping[str, Any]) -> list[Any]:
    return [params[name] for name in names]


async def fetch(session: AsyncSession, sql: str, params: Mapping[str, Any] | None = None) -> list[Row]:
    """Run one statement in the session's transaction and return its rows."""
    statement, names = positional(sql)
    driver = await _driver(session)
    try:
        rows: list[Row] = await driver.fetch(statement, *_values(names, params or {}), record_class=Row)
    except (asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        raise DBAPIError(statement, None, exc, connection_invalidated=driver.is_closed()) from exc
    return rows


async def execute(session: AsyncSession, sql: str, params: Mapping[str, Any] | None = None) -> None:
    """Run one statement in the session's transaction, for its effect."""
    await fetch(session, sql, params)
