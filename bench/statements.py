"""SQL statements per lead, by the schema they touch, from pg_stat_statements (PostgreSQL is started
with it preloaded by deploy/local/postgres.sh). Each service owns one schema, so a statement naming
`route.` is route's; BEGIN, COMMIT and the like name none and are counted apart."""

import re

import asyncpg

SCHEMA = re.compile(r"\b(capture|enrich|score|route|notify|insights|outbound)\.")
UNNAMED = "transaction control and other"


async def reset(dsn: str) -> bool:
    """Zero the counters; False when pg_stat_statements is not loaded (PostgreSQL started before)."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        await conn.execute("SELECT pg_stat_statements_reset()")
        return True
    except asyncpg.PostgresError:
        return False
    finally:
        await conn.close()


async def calls_by_schema(dsn: str) -> dict[str, int]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT query, calls FROM pg_stat_statements"
            " WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
        )
    except asyncpg.PostgresError:
        return {}
    finally:
        await conn.close()
    totals: dict[str, int] = {}
    for row in rows:
        if "pg_stat_statements" in row["query"]:
            continue
        found = SCHEMA.search(row["query"])
        key = found.group(1) if found else UNNAMED
        totals[key] = totals.get(key, 0) + int(row["calls"])
    return totals


async def slowest(dsn: str, limit: int = 15) -> list[tuple[float, int, str]]:
    """The statements PostgreSQL spent the most time in since the last reset: (ms, calls, query)."""
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT total_exec_time, calls, query FROM pg_stat_statements"
            " WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
            " ORDER BY total_exec_time DESC LIMIT $1",
            limit,
        )
    except asyncpg.PostgresError:
        return []
    finally:
        await conn.close()
    return [(float(r["total_exec_time"]), int(r["calls"]), " ".join(str(r["query"]).split())) for r in rows]
