"""shared/raw_sql against real PostgreSQL: a driver-level statement is part of the session's
transaction (committed and rolled back with it, even as its first statement), its rows read like
SQLAlchemy's, and its failures are judged as SQLAlchemy's are."""

import asyncio
from collections.abc import AsyncIterator
from uuid import uuid4

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, OperationalError

from shared import raw_sql
from shared.db import Database, make_engine
from shared.errors import is_transient
from tests.support.stack import Stack

TABLE = "CREATE TABLE IF NOT EXISTS raw_sql_probe (id uuid PRIMARY KEY, doc jsonb NOT NULL)"


async def count(pg: asyncpg.Connection, marker: str) -> int:
    return int(await pg.fetchval("SELECT count(*) FROM raw_sql_probe WHERE doc->>'m' = $1", marker))


def test_parameters_become_positional_and_casts_stay() -> None:
    sql, names = raw_sql.positional("SELECT :a::text, CAST(:b AS int[]), :a || 'x:y' WHERE t = :c")
    assert sql == "SELECT $1::text, CAST($2 AS int[]), $1 || 'x:y' WHERE t = $3"
    assert names == ("a", "b", "c")


async def test_first_statement_of_a_session_is_inside_its_transaction(db: Database, pg: asyncpg.Connection) -> None:
    await pg.execute(TABLE)
    marker = uuid4().hex
    with pytest.raises(RuntimeError, match="undo"):
        async with db.session_scope() as session:
            await raw_sql.execute(
                session,
                "INSERT INTO raw_sql_probe (id, doc) VALUES (:i, CAST(:d AS jsonb))",
                {"i": uuid4(), "d": f'{{"m": "{marker}"}}'},
            )
            raise RuntimeError("undo")
    assert await count(pg, marker) == 0

    async with db.session_scope() as session:
        await raw_sql.execute(
            session,
            "INSERT INTO raw_sql_probe (id, doc) VALUES (:i, CAST(:d AS jsonb))",
            {"i": uuid4(), "d": f'{{"m": "{marker}"}}'},
        )
        seen = await session.execute(text("SELECT count(*) FROM raw_sql_probe WHERE doc->>'m' = :m"), {"m": marker})
        assert seen.scalar_one() == 1, "SQLAlchemy's statements see the driver's, in one transaction"
    assert await count(pg, marker) == 1


async def test_rows_read_like_sqlalchemy_rows_with_json_decoded(db: Database, pg: asyncpg.Connection) -> None:
    await pg.execute(TABLE)
    lead = uuid4()
    await pg.execute("INSERT INTO raw_sql_probe (id, doc) VALUES ($1, $2::jsonb)", lead, '{"m": "row", "n": [1, 2]}')
    async with db.session_scope() as session:
        rows = await raw_sql.fetch(session, "SELECT id, doc FROM raw_sql_probe WHERE id = ANY(:ids)", {"ids": [lead]})
        through_sqlalchemy = (
            await session.execute(text("SELECT id, doc FROM raw_sql_probe WHERE id = :i"), {"i": lead})
        ).one()
    assert rows[0].id == lead and rows[0]["id"] == lead
    assert rows[0].doc == through_sqlalchemy.doc == {"m": "row", "n": [1, 2]}
    with pytest.raises(AttributeError):
        _ = rows[0].missing


async def test_a_broken_statement_is_a_dbapi_error_that_is_not_transient(db: Database, pg: asyncpg.Connection) -> None:
    await pg.execute(TABLE)
    lead = uuid4()
    await pg.execute("INSERT INTO raw_sql_probe (id, doc) VALUES ($1, '{}')", lead)
    with pytest.raises(DBAPIError) as caught:
        async with db.session_scope() as session:
            await raw_sql.execute(session, "INSERT INTO raw_sql_probe (id, doc) VALUES (:i, '{}')", {"i": lead})
    assert not is_transient(caught.value), "a duplicate key is the message's fault, not the database's"


async def test_a_terminated_connection_is_transient_and_the_next_session_works(
    db: Database, pg: asyncpg.Connection
) -> None:
    with pytest.raises(DBAPIError) as caught:
        async with db.session_scope() as session:
            own = await raw_sql.fetch(session, "SELECT pg_backend_pid() AS pid")
            await pg.execute("SELECT pg_terminate_backend($1)", own[0].pid)
            await raw_sql.fetch(session, "SELECT 1 AS one")
    assert is_transient(caught.value)
    async with db.session_scope() as session:
        assert (await raw_sql.fetch(session, "SELECT 1 AS one"))[0].one == 1


@pytest.fixture
async def one_connection(stack: Stack) -> AsyncIterator[Database]:
    """A pool of one, so the next session gets the very connection the last one used."""
    database = Database(make_engine(stack.settings().database_url, pool_size=1))
    database.engine.pool._max_overflow = 0  # type: ignore[attr-defined]
    yield database
    await database.dispose()


async def test_a_cancelled_statement_does_not_leave_its_connection_busy_for_the_next_session(
    one_connection: Database,
) -> None:
    """A statement cancelled midway (a request timing out) leaves asyncpg mid-operation; SQLAlchemy
    never saw it, so unless the connection is dropped the pool hands it, still busy, to the next
    session ("another operation is in progress")."""

    async def slow() -> None:
        async with one_connection.session_scope() as session:
            await raw_sql.fetch(session, "SELECT pg_sleep(5)")

    task = asyncio.create_task(slow())
    await asyncio.sleep(0.5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    async with one_connection.session_scope() as session:
        assert (await raw_sql.fetch(session, "SELECT 1 AS one"))[0].one == 1


async def test_a_connection_that_died_in_the_pool_is_transient_and_dropped(
    one_connection: Database, pg: asyncpg.Connection
) -> None:
    """A database restart kills pooled connections; the first statement on one fails while the
    transaction is begun. That is a lost connection (503 at intake, a retry in a stage), not a 500,
    and the pool does not hand the dead connection out again."""
    async with one_connection.session_scope() as session:
        [own] = await raw_sql.fetch(session, "SELECT pg_backend_pid() AS pid")
    await pg.execute("SELECT pg_terminate_backend($1)", own.pid)
    await asyncio.sleep(0.2)
    with pytest.raises(OperationalError) as caught:
        async with one_connection.session_scope() as session:
            await raw_sql.fetch(session, "SELECT 1 AS one")
    assert caught.value.connection_invalidated and is_transient(caught.value)
    async with one_connection.session_scope() as session:
        assert (await raw_sql.fetch(session, "SELECT 1 AS one"))[0].one == 1
