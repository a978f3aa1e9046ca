"""`python -m bench.sql_overhead`: what one statement costs the caller through SQLAlchemy Core
(`text()` on an AsyncSession), through `shared.raw_sql` (the hot paths' way) and through raw asyncpg
with a prepared statement, on the same PostgreSQL, interleaved in one run. Route's `latest` query is the example
(a hot-path read by primary key range). Writes bench/results/sql-overhead.md; asserts nothing."""

import asyncio
import os
import platform
import time
import uuid
from datetime import UTC, datetime

import asyncpg
from sqlalchemy import text

from shared import raw_sql
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


async def through_raw_sql(db: Database, leads: list[uuid.UUID]) -> float:
    """As the services' hot paths now run it: `shared.raw_sql` on the session's own connection."""
    statement = QUERY.format("CAST(:l AS uuid[])")
    async with db.session_scope() as session:
        started = time.perf_counter()
        for _ in range(CALLS):
            await raw_sql.fetch(session, statement, {"l": leads})
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
                orm, raw, bare = (
                    await through_sqlalchemy(db, leads),
                    await through_raw_sql(db, leads),
                    await through_asyncpg(conn, leads),
                )
                rows.append((n + 1, orm, raw, bare))
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
        "`shared.raw_sql` is how the hot paths of capture, score, route, notify and insights run their",
        "statements since 2026-12-07: through asyncpg, on the session's connection and in its transaction.",
        "",
        "| round | SQLAlchemy text() µs/call | shared.raw_sql µs/call | asyncpg prepared µs/call | text() / raw_sql |",
        "|---|---|---|---|---|",
        *[f"| {n} | {a:.0f} | {r:.0f} | {b:.0f} | {a / r:.2f}x |" for n, a, r, b in rows],
        "",
    ]
    (ROOT / "bench" / "results" / "sql-overhead.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    asyncio.run(main())
