"""`make bench`: webhook -> Slack latency through the five real services, with a per-stage breakdown
taken from Kafka record timestamps. Writes bench/results/pipeline_latency.md; asserts nothing.

Scenarios, run side by side in one session on the same stack:
  sequential: one lead at a time, each waiting for its alert (the latency a single lead sees);
  burst:      N leads posted at once (what a list import or a webinar spike looks like)."""

import argparse
import asyncio
import os
import platform
import statistics
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx

from tests.support.kafka_io import read_topic
from tests.support.pipeline import Pipeline, run_pipeline
from tests.support.stack import INTAKE, ROOT, close_stack, open_stack

STAGES = ["lead.captured", "lead.enriched", "lead.scored", "lead.assigned"]
RESULTS = ROOT / "bench" / "results" / "pipeline_latency.md"


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def post_lead(http: httpx.AsyncClient, pipeline: Pipeline, tag: str) -> tuple[str, float]:
    body = {"email": f"bench+{tag}@initech.com", "name": f"Bench {tag}", "title": "VP Sales"}
    sent = time.time()
    response = await http.post(f"{pipeline.capture}/v1/webhooks/generic", json=body, headers=INTAKE)
    response.raise_for_status()
    return response.json()["lead_id"], sent


async def wait_alerts(http: httpx.AsyncClient, pipeline: Pipeline, tags: set[str]) -> dict[str, float]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        messages = (await http.get(f"{pipeline.slack}/_standin/messages")).json()
        got = {t: m["received_at"] for m in messages for t in tags if t in str(m["body"]["blocks"])}
        if len(got) == len(tags):
            return got
        await asyncio.sleep(0.01)
    raise RuntimeError("alerts missing after 120 s")


async def stage_times(pipeline: Pipeline, lead_ids: set[str]) -> dict[str, dict[str, float]]:
    """Per topic, per lead: the record's CreateTime in seconds."""
    out: dict[str, dict[str, float]] = {}
    for topic in STAGES:
        records = await read_topic(
            f"{pipeline.topic_prefix}{topic}",
            until=lambda rs: lead_ids <= {r.key.decode() for r in rs},
            timeout=30,
        )
        out[topic] = {r.key.decode(): r.timestamp / 1000 for r in records if r.key.decode() in lead_ids}
    return out


def breakdown(sent: dict[str, float], stages: dict[str, dict[str, float]], alerts: dict[str, float]) -> list[str]:
    hops: list[tuple[str, str | None, str]] = [
        ("capture (POST -> lead.captured, via outbox)", None, "lead.captured"),
        ("enrich (lead.captured -> lead.enriched)", "lead.captured", "lead.enriched"),
        ("score (lead.enriched -> lead.scored)", "lead.enriched", "lead.scored"),
        ("route (lead.scored -> lead.assigned)", "lead.scored", "lead.assigned"),
    ]
    lines = []
    for label, start, end in hops:
        ms = [(stages[end][lead] - (sent[lead] if start is None else stages[start][lead])) * 1000 for lead in sent]
        lines.append(f"| {label} | {statistics.median(ms):.1f} | {pct(ms, 95):.1f} |")
    ms = [(alerts[lead] - stages["lead.assigned"][lead]) * 1000 for lead in sent]
    lines.append(
        f"| notify (lead.assigned -> Slack stand-in received) | {statistics.median(ms):.1f} | {pct(ms, 95):.1f} |"
    )
    return lines


async def scenario(pipeline: Pipeline, name: str, count: int, concurrent: bool) -> list[str]:
    tags = [uuid.uuid4().hex[:12] for _ in range(count)]
    sent: dict[str, float] = {}
    tag_of: dict[str, str] = {}
    alerts: dict[str, float] = {}
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=200), timeout=30) as http:
        if concurrent:
            started = time.perf_counter()
            results = await asyncio.gather(*(post_lead(http, pipeline, t) for t in tags))
            for tag, (lead_id, at) in zip(tags, results, strict=True):
                sent[lead_id], tag_of[lead_id] = at, tag
            by_tag = await wait_alerts(http, pipeline, set(tags))
            wall = time.perf_counter() - started
        else:
            started = time.perf_counter()
            for tag in tags:
                lead_id, at = await post_lead(http, pipeline, tag)
                sent[lead_id], tag_of[lead_id] = at, tag
                by_tag = await wait_alerts(http, pipeline, {tag})
                alerts[lead_id] = by_tag[tag]
            wall = time.perf_counter() - started
            by_tag = {tag_of[lead]: t for lead, t in alerts.items()}
    alerts = {lead: by_tag[tag_of[lead]] for lead in sent}
    total = [(alerts[lead] - sent[lead]) * 1000 for lead in sent]
    stages = await stage_times(pipeline, set(sent))
    return [
        f"### {name}: {count} leads, {'posted at once' if concurrent else 'one at a time'}",
        "",
        f"webhook -> Slack alert: p50 {statistics.median(total):.0f} ms, p95 {pct(total, 95):.0f} ms, "
        f"max {max(total):.0f} ms; wall time {wall:.2f} s ({count / wall:.0f} leads/s)",
        "",
        "| hop | p50 ms | p95 ms |",
        "|---|---|---|",
        *breakdown(sent, stages, alerts),
        "",
    ]


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sequential", type=int, default=30)
    parser.add_argument("--burst", type=int, default=200)
    args = parser.parse_args()
    stack = await open_stack()
    lines = [
        f"# Pipeline latency ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)",
        "",
        f"Conditions: {os.cpu_count()} cores, {platform.platform()}, Python {platform.python_version()}; "
        "Kafka 4.3.1 single node and PostgreSQL on the same machine; one process per service; "
        "local Slack stand-in. Absolute figures are for this machine only; compare rows within one run.",
        "",
    ]
    try:
        with run_pipeline(stack, ROOT / ".local" / "bench-logs") as pipeline:
            await scenario(pipeline, "warm-up", 5, concurrent=False)
            lines += await scenario(pipeline, "sequential", args.sequential, concurrent=False)
            lines += await scenario(pipeline, "burst", args.burst, concurrent=True)
    finally:
        await close_stack(stack)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"written to {Path(RESULTS).relative_to(ROOT)}")


if __name__ == "__main__":
    asyncio.run(main())
