"""shared/raw_sql against real PostgreSQL: a driver-level statement is part of the session's
transaction (committed and rolled back with it, even as its first statement), its rows read like
SQLAlchemy's, and its failures are judged as SQLAlchemy's are."""

from uuid import uuid4

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from shared import raw_sql
from shared.db import Database
from shared.errors import is_transient

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
