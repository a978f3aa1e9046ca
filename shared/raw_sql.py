"""Hot statements through the asyncpg driver itself, inside the session's own transaction.

SQLAlchemy's `text()` costs 250-390 µs of Python per statement here against 42-58 µs for the same
prepared statement through asyncpg (`bench/sql_overhead.py`, `bench/results/sql-overhead.md`); a
stage's batch runs about ten statements, so at one lead per batch that overhead was a few ms of every
hop. These helpers keep SQLAlchemy for what it is good at (the pool, BEGIN, COMMIT, rollback, the
cold paths) and send the per-batch statements straight to the driver on the same connection and in
the same transaction, through asyncpg's own per-connection prepared-statement cache.

Statements keep SQLAlchemy's `:name` parameters (converted once to `$n`); rows are asyncpg records
that also answer attribute access, as SQLAlchemy rows do. A statement PostgreSQL refuses is raised as
SQLAlchemy's `DBAPIError` (not transient); a connection that fails, or a statement cancelled midway,
gets the connection invalidated (SQLAlchemy never saw it, so its pool would hand it out again, still
busy) and is raised as an `OperationalError` marked as a lost connection: retried by the stages,
503 at intake, as SQLAlchemy's own statements are.
"""

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import asyncpg
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from shared.errors import UNAVAILABLE_CLASSES

log = logging.getLogger(__name__)

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


@dataclass(frozen=True)
class _Kept:
    transaction: object
    connection: AsyncConnection
    driver: Any


async def _driver(session: AsyncSession, statement: str) -> _Kept:
    """The session's asyncpg connection, with the session's transaction begun on it (SQLAlchemy's
    adapter sends BEGIN lazily, with its first statement; a statement sent around it before then
    would run outside the transaction). Kept for the rest of the same transaction: asking
    SQLAlchemy for it costs about as much as the statement's own Python."""
    transaction = session.get_transaction()
    kept = session.info.get(_KEPT)
    if transaction is not None and isinstance(kept, _Kept) and kept.transaction is transaction:
        return kept
    connection = await session.connection()
    try:
        adapted = (await connection.get_raw_connection()).dbapi_connection
        if adapted is None:
            raise RuntimeError("the session's connection is closed")
        if getattr(adapted, "_transaction", None) is None and adapted.isolation_level != "autocommit":
            async with adapted._execute_mutex:
                if adapted._transaction is None:
                    await adapted._start_transaction()
    except BaseException as exc:
        await _discard(session, connection, exc)
        if not isinstance(exc, Exception):
            raise
        raise _lost(statement, exc) from exc
    kept = _Kept(session.get_transaction(), connection, adapted.driver_connection)
    session.info[_KEPT] = kept
    return kept


def _clean_server_error(exc: BaseException, driver: Any) -> bool:
    """PostgreSQL refused the statement itself (a duplicate key, a bad cast) on a connection that is
    still sound; anything else (closed, reset, cancelled mid-statement, shutting down) is not."""
    return (
        isinstance(exc, asyncpg.PostgresError)
        and not isinstance(exc, asyncpg.PostgresConnectionError)
        and str(getattr(exc, "sqlstate", ""))[:2] not in UNAVAILABLE_CLASSES
        and not driver.is_closed()
    )


async def _discard(session: AsyncSession, connection: AsyncConnection, cause: BaseException) -> None:
    """The connection cannot be trusted any more: SQLAlchemy never saw what happened on it, so it is
    invalidated here, and the pool drops it instead of handing it, still busy, to the next request."""
    session.info.pop(_KEPT, None)
    try:
        await connection.invalidate(cause if isinstance(cause, Exception) else None)
    except Exception as failed:
        log.warning("invalidating a broken connection failed (%r)", failed)


def _lost(statement: str, exc: Exception) -> OperationalError:
    """SQLAlchemy's own error for a lost connection: `is_transient` retries it, intake answers 503."""
    return OperationalError(statement, None, exc, connection_invalidated=True)


def _values(names: Sequence[str], params: Mapping[str, Any]) -> list[Any]:
    return [params[name] for name in names]


async def fetch(session: AsyncSession, sql: str, params: Mapping[str, Any] | None = None) -> list[Row]:
    """Run one statement in the session's transaction and return its rows."""
    statement, names = positional(sql)
    values = _values(names, params or {})
    kept = await _driver(session, statement)
    try:
        rows: list[Row] = await kept.driver.fetch(statement, *values, record_class=Row)
    except BaseException as exc:
        if _clean_server_error(exc, kept.driver):
            raise DBAPIError(statement, None, exc) from exc
        await _discard(session, kept.connection, exc)
        if not isinstance(exc, Exception):
            raise
        raise _lost(statement, exc) from exc
    return rows


async def execute(session: AsyncSession, sql: str, params: Mapping[str, Any] | None = None) -> None:
    """Run one statement in the session's transaction, for its effect."""
    await fetch(session, sql, params)
