"""Builds a report by name from the read model: the JSON API and the console both call this."""

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Literal, get_args

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
    return (await build_all(db, config, f, [name]))[name]


async def build_all(
    db: Database, config: BusinessConfig, f: queries.ReportFilters, names: Sequence[ReportName] = get_args(ReportName)
) -> dict[str, dict[str, Any]]:
    """The named reports from one read of the rows the filters select."""
    async with db.session_scope() as session:
        leads, assignments = await queries.report_rows(session, f)
    now = datetime.now(UTC)
    compute: dict[str, Callable[[], dict[str, Any]]] = {
        "speed-to-lead": lambda: reports.speed_to_lead(leads, assignments),
        "funnel": lambda: reports.funnel(leads, assignments, now),
        "fairness": lambda: reports.fairness(config, assignments),
    }
    head = {"filters": f.model_dump(mode="json"), "at": now.isoformat()}
    return {name: {"report": name, **head, **compute[name]()} for name in names}


def csv_of(name: ReportName, report: dict[str, Any]) -> str:
    return report_tables.to_csv(*TABLES[name](report))
