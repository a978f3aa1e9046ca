"""The naive monolith a team would write in a day: one async FastAPI endpoint that inserts the lead,
scores it, picks a rep round robin under a row lock and posts to Slack inline, all before answering.
Not durable: a crash between the insert and the Slack post loses the alert. Run with 2 workers:

    python -m bench.baselines.monolith --port 8201 --dsn postgresql://... --slack http://127.0.0.1:8099/api
"""

import argparse
import asyncio
import os
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import asyncpg
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

REPS = [("alice", "U01ALICE"), ("bruno", "U01BRUNO"), ("chen", "U01CHEN")]
SENIOR = re.compile(r"(?i)\b(vp|vice president|head of|director|chief|cto|ceo|founder)\b")
SCHEMA = [
    "CREATE SCHEMA IF NOT EXISTS monolith",
    "CREATE TABLE IF NOT EXISTS monolith.leads (id uuid PRIMARY KEY, email text, fields jsonb, score int,"
    " rep text, created_at timestamptz DEFAULT now())",
    "CREATE TABLE IF NOT EXISTS monolith.round_robin (id int PRIMARY KEY, next int NOT NULL)",
    "INSERT INTO monolith.round_robin VALUES (1, 0) ON CONFLICT DO NOTHING",
]


def score(lead: dict[str, Any]) -> int:
    points = 25 if SENIOR.search(str(lead.get("title", ""))) else 0
    points += 20 if str(lead.get("email", "")).endswith("@initech.com") else 0
    return points + 30


def create_app() -> FastAPI:
    dsn, slack = os.environ["MONOLITH_DSN"], os.environ["MONOLITH_SLACK"]

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.pool = await asyncpg.create_pool(dsn, min_size=2, max_size=10)
        app.state.http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100))
        yield
        await app.state.http.close()
        await app.state.pool.close()

    app = FastAPI(lifespan=lifespan)

    @app.post("/lead")
    async def lead(request: Request) -> JSONResponse:
        body = await request.json()
        lead_id, points = uuid.uuid4(), score(body)
        async with request.app.state.pool.acquire() as conn, conn.transaction():
            turn = await conn.fetchval(
                "UPDATE monolith.round_robin SET next = next + 1 WHERE id = 1 RETURNING next - 1"
            )
            rep, slack_id = REPS[turn % len(REPS)]
            await conn.execute(
                "INSERT INTO monolith.leads (id, email, fields, score, rep) VALUES ($1, $2, $3::jsonb, $4, $5)",
                lead_id,
                body.get("email"),
                (await request.body()).decode(),
                points,
                rep,
            )
        text = f"New lead for {rep}: {body.get('name')} <{body.get('email')}> (score {points})"
        async with request.app.state.http.post(
            f"{slack}/chat.postMessage",
            json={"channel": slack_id, "text": text},
            headers={"Authorization": "Bearer xoxb-bench"},
        ) as posted:
            await posted.read()
        return JSONResponse({"lead_id": str(lead_id), "rep": rep}, status_code=202)

    return app


async def create_schema(dsn: str) -> None:
    """Once, before the workers start (two workers creating it at once collide)."""
    conn = await asyncpg.connect(dsn)
    try:
        for sql in SCHEMA:
            await conn.execute(sql)
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dsn", required=True)
    parser.add_argument("--slack", required=True)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    os.environ["MONOLITH_DSN"], os.environ["MONOLITH_SLACK"] = args.dsn, args.slack
    asyncio.run(create_schema(args.dsn))
    uvicorn.run(
        "bench.baselines.monolith:create_app",
        factory=True,
        host="127.0.0.1",
        port=args.port,
        workers=args.workers,
        log_level="warning",
        loop="uvloop",
        http="httptools",
    )


if __name__ == "__main__":
    main()
