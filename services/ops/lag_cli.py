"""`leadrelay lag`: the lag table (as `kafka-consumer-groups.sh --describe` prints it, plus the age
of the oldest unconsumed message), `--json` for scripts, `--watch` for a live view, `--serve` for
the Prometheus exporter."""

import asyncio
import json
import sys

import uvicorn
from aiokafka.errors import KafkaError
from rich.console import Console
from rich.live import Live
from rich.table import Table

from services.ops.lag import PartitionLag, consumer_lag, now_ms
from services.ops.lag_exporter import create_exporter
from shared.settings import BaseServiceSettings


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 120:
        return f"{seconds:.1f}s"
    return f"{seconds / 60:.1f}m"


def table(rows: list[PartitionLag]) -> Table:
    now = now_ms()
    t = Table(box=None, header_style="bold")
    for name in (
        "GROUP",
        "TOPIC",
        "PARTITION",
        "CURRENT-OFFSET",
        "LOG-END-OFFSET",
        "LAG",
        "LAG-TIME",
        "CONSUMER-ID",
        "HOST",
        "CLIENT-ID",
    ):
        t.add_column(
            name, justify="right" if name in ("PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG") else "left"
        )
    for r in rows:
        t.add_row(
            r.group,
            r.topic,
            str(r.partition),
            "-" if r.committed is None else str(r.committed),
            str(r.end),
            str(r.lag),
            _age(r.age_seconds(now)),
            r.consumer_id or "-",
            r.host or "-",
            r.client_id or "-",
        )
    return t


async def _watch(settings: BaseServiceSettings, groups: list[str] | None, every_s: float, console: Console) -> None:
    with Live(console=console, auto_refresh=False) as live:
        while True:
            rows = await consumer_lag(settings, groups)
            live.update(table(rows), refresh=True)
            await asyncio.sleep(every_s)


def lag_command(groups: list[str] | None, as_json: bool, watch: float | None, serve: int | None) -> int:
    settings = BaseServiceSettings()
    if serve is not None:
        uvicorn.run(create_exporter(settings, watch or 5.0), host="0.0.0.0", port=serve, log_level="warning")
        return 0
    console = Console() if sys.stdout.isatty() else Console(width=220)  # piped: whole names, never "lead.…"
    if watch is not None:
        try:
            asyncio.run(_watch(settings, groups, watch, console))
        except KeyboardInterrupt:
            pass
        return 0
    try:
        rows = asyncio.run(consumer_lag(settings, groups))
    except KafkaError as exc:
        print(f"leadrelay lag: cannot read the lag from Kafka at {settings.kafka_bootstrap}: {exc}", file=sys.stderr)
        return 1
    if as_json:
        now = now_ms()
        print(json.dumps([r.as_dict(now) for r in rows], indent=2))
    else:
        console.print(table(rows))
    return 0
