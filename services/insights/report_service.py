"""Builds a report by name from the read model: the JSON API and the console both call this."""

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from services.insights import queries, report_tables, reports
from shared.business.loader import BusinessConfig
from shared.db import Database

ReportName = Literal["speed-to-lead", "funnel", "fairness"]
TABLES: dict[str, Callable[[dict[str, Any]], tuple[Sequence[str], list[list[Any]]]]] = {
    "speed-to-lead": report_tables.speed_rows,
    "funnel": report_tables.funnel_rows,
    "fairness": report_tables.fairness_rows,
}


async def build(db: Database, config: BusinessConfig, name: ReportName, f: queries.ReportFilters) -> dict[str, Any]:
    async with db.session_scope() as session:
        leads, assignments = await queries.report_rows(session, f)
    now = datetime.now(UTC)
    if name == "speed-to-lead":
        body = reports.speed_to_lead(leads, assignments)
    elif name == "funnel":
        body = reports.funnel(leads, assignments, now)
    else:
        body = reports.fairness(config, assignments)
    return {"report": name, "filters": f.model_dump(mode="json"), "at": now.isoformat(), **body}


def csv_of(name: ReportName, report: dict[str, Any]) -> str:
    return report_tables.to_csv(*TABLES[name](report))
