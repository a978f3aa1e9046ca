"""`python -m bench.sql_overhead`: what one statement costs the caller through SQLAlchemy Core
(`text()` on an AsyncSession, as the services run them) against raw asyncpg with a prepared
statement, on the same PostgreSQL, interleaved in one run. Route's `latest` query is the example
(a hot-path read by primary key range). Writes bench/results/sql-overhead.md; asserts nothing."""

import asyncio
import os
import platform
import time
import uuid
from datetime import UTC, datetime

import asyncpg
from sqlalchemy import text

from shared.db import Database, make_engine
from tests.support.stack import ROOT, close_stack, open_stack

QUERY = (
    "SELECT DISTINCT ON (lead_id) id, lead_id, attempt, outcome, status, pool_id, rep_id"
    " FROM route.assignments WHERE lead_id = ANY({}) ORDER BY lead_id, attempt DESC"
)
ROUNDS, CALLS = 3, 2000


async def through_sqlalchemy(db: Database, leads: list[uuid.UUID]) -> float:
    statement = text(QUERY.format("CAST(:l AS uuid[])"))
    async with db.session_scope() as session:
        started = time.perf_counter()
        for _ in range(CALLS):
            (await session.execute(statement, {"l": leads})).all()
        return (time.perf_counter() - started) / CALLS * 1e6


async def through_asyncpg(conn: asyncpg.Connection, leads: list[uuid.UUID]) -> float:
    prepared = await conn.prepare(QUERY.format("$1::uuid[]"))
    async with conn.transaction():
        started = time.perf_counter()
        for _ in range(CALLS):
            await prepared.fetch(leads)
        return (time.perf_counter() - started) / CALLS * 1e6


async def main() -> None:
    stack = await open_stack()
    try:
        db = Database(make_engine(stack.env()["LEADRELAY_DATABASE_URL"], pool_size=1))
        conn = await asyncpg.connect(stack.dsn)
        leads = [uuid.uuid4() for _ in range(20)]
        rows = []
        try:
            for n in range(ROUNDS):
                rows.append((n + 1, await through_sqlalchemy(db, leads), await through_asyncpg(conn, leads)))
        finally:
            await conn.close()
            await db.dispose()
    finally:
        await close_stack(stack)
    lines = [
        "# One statement through SQLAlchemy Core against raw asyncpg (prepared)",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} cores ({platform.platform()}), the local",
        f"PostgreSQL; {CALLS} calls per round, one transaction, 20 lead ids, interleaved rounds.",
        "",
        "| round | SQLAlchemy text() µs/call | asyncpg prepared µs/call | ratio |",
        "|---|---|---|---|",
        *[f"| {n} | {a:.0f} | {b:.0f} | {a / b:.2f}x |" for n, a, b in rows],
        "",
    ]
    (ROOT / "bench" / "results" / "sql-overhead.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    asyncio.run(main())
