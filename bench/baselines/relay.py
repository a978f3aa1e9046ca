"""The floor of this architecture in Python: HTTP intake, then 4 aiokafka hops with no logic and no
database, then a Slack post. One file, one role per process:

    python -m bench.baselines.relay intake --port 8301 --bootstrap ... --prefix p.
    python -m bench.baselines.relay hop --hop 1 ...     (hops 1..3 forward r<n> to r<n+1>)
    python -m bench.baselines.relay notify ... --slack http://127.0.0.1:8099/api   (reads r4)
"""

import argparse
import asyncio
import uuid
from typing import Any

import aiohttp
import orjson
import uvicorn
import uvloop
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

HOPS = 4


def topic(prefix: str, n: int) -> str:
    return f"{prefix}relay.r{n}"


async def ensure_topics(bootstrap: str, prefix: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        new = [NewTopic(topic(prefix, n), num_partitions=6, replication_factor=1) for n in range(1, HOPS + 1)]
        try:
            await admin.create_topics(new)
        except TopicAlreadyExistsError:
            pass
    finally:
        await admin.close()


def producer(bootstrap: str) -> AIOKafkaProducer:
    return AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=0)


def intake_app(bootstrap: str, prefix: str) -> FastAPI:
    app = FastAPI()
    state: dict[str, Any] = {}

    @app.on_event("startup")
    async def start() -> None:
        await ensure_topics(bootstrap, prefix)
        state["producer"] = producer(bootstrap)
        await state["producer"].start()

    @app.on_event("shutdown")
    async def stop() -> None:
        await state["producer"].stop()

    @app.post("/lead")
    async def lead(request: Request) -> JSONResponse:
        body = await request.body()
        lead_id = str(uuid.uuid4())
        await state["producer"].send_and_wait(topic(prefix, 1), body, key=lead_id.encode())
        return JSONResponse({"lead_id": lead_id}, status_code=202)

    return app


async def forward(bootstrap: str, prefix: str, hop: int, slack: str | None) -> None:
    await ensure_topics(bootstrap, prefix)
    consumer = AIOKafkaConsumer(
        topic(prefix, hop),
        bootstrap_servers=bootstrap,
        group_id=f"{prefix}relay-{hop}",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    out = producer(bootstrap)
    http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100)) if slack else None
    await consumer.start()
    await out.start()
    try:
        while True:
            batches = await consumer.getmany(timeout_ms=100, max_records=500)
            for tp, records in batches.items():
                if slack is not None and http is not None:
                    await asyncio.gather(*(post(http, slack, r.value) for r in records))
                else:
                    acks = [await out.send(topic(prefix, hop + 1), r.value, key=r.key) for r in records]
                    await asyncio.gather(*acks)
                await consumer.commit({tp: records[-1].offset + 1})
    finally:
        await consumer.stop()
        await out.stop()
        if http is not None:
            await http.close()


async def post(http: aiohttp.ClientSession, slack: str, value: bytes) -> None:
    lead = orjson.loads(value)
    text = f"New lead: {lead.get('name')} <{lead.get('email')}>"
    async with http.post(
        f"{slack}/chat.postMessage",
        json={"channel": "U01ALICE", "text": text},
        headers={"Authorization": "Bearer xoxb-bench"},
    ) as response:
        await response.read()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("role", choices=["intake", "hop", "notify"])
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--hop", type=int, default=1)
    parser.add_argument("--slack", default=None)
    args = parser.parse_args()
    if args.role == "intake":
        app = intake_app(args.bootstrap, args.prefix)
        uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", loop="uvloop", http="httptools")
    elif args.role == "hop":
        uvloop.run(forward(args.bootstrap, args.prefix, args.hop, None))
    else:
        uvloop.run(forward(args.bootstrap, args.prefix, HOPS, args.slack))


if __name__ == "__main__":
    main()
