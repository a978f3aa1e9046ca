"""With the broker stopped, capture still accepts leads; once it is back each is published once."""

import asyncio
import uuid

import asyncpg
import httpx
import orjson

from tests.support.capture_proc import start_capture
from tests.support.kafka_io import read_topic
from tests.support.stack import INTAKE, Stack, run_script, wait_for_kafka


async def test_intake_survives_a_broker_outage_and_publishes_exactly_once(stack: Stack) -> None:
    proc, capture = await asyncio.to_thread(start_capture, stack)
    tag = uuid.uuid4().hex[:8]
    try:
        await asyncio.to_thread(run_script, "deploy/local/kafka.sh", "stop")
        try:
            async with httpx.AsyncClient(timeout=10) as http:
                response = await http.post(
                    f"{capture}/v1/webhooks/generic", json={"email": f"outage+{tag}@acme.com"}, headers=INTAKE
                )
                ready = await http.get(f"{capture}/readyz")
            assert response.status_code == 202, response.text
            assert ready.status_code == 200 and ready.json()["checks"]["broker"] is False
            lead_id = response.json()["lead_id"]
            conn = await asyncpg.connect(stack.dsn)
            try:
                pending = await conn.fetchval(
                    "SELECT count(*) FROM capture.outbox WHERE key = $1 AND published_at IS NULL", lead_id
                )
            finally:
                await conn.close()
            assert pending == 1, "accepted and held in the outbox while Kafka is down"
        finally:
            await asyncio.to_thread(run_script, "deploy/local/kafka.sh", "start")
            await wait_for_kafka(stack)

        records = await read_topic(
            f"{stack.topic_prefix}lead.captured",
            until=lambda rs: any(r.key == lead_id.encode() for r in rs),
            timeout=90,
            settle=3.0,
        )
        mine = [orjson.loads(r.value) for r in records if r.key == lead_id.encode()]
        assert len(mine) == 1, f"published {len(mine)} times"
        assert mine[0]["data"]["fields"]["email"] == f"outage+{tag}@acme.com"
    finally:
        assert await asyncio.to_thread(proc.stop), proc.tail()
