"""The reports as flat tables: the CSV downloads and the console's tables share these rows."""

import csv
import io
from collections.abc import Sequence
from typing import Any

SPEED_COLUMNS = (
    "leads",
    "alerted",
    "claimed",
    "to_alert_p50",
    "to_alert_p90",
    "alert_to_claim_p50",
    "alert_to_claim_p90",
    "to_claim_p50",
    "to_claim_p90",
    "claimed_within_5_minutes",
    "claimed_within_sla",
)
FUNNEL_COLUMNS = (
    "captured",
    "mql",
    "sql",
    "assigned",
    "claimed",
    "rate_mql",
    "rate_sql",
    "rate_assigned",
    "rate_claimed",
)
FAIRNESS_COLUMNS = (
    "pool",
    "rep",
    "weight",
    "assigned",
    "expected",
    "expected_share",
    "actual_share",
    "claimed",
    "reassigned_away",
    "sla_compliance",
)


def speed_rows(report: dict[str, Any]) -> tuple[Sequence[str], list[list[Any]]]:
    header = ["dimension", "key", *SPEED_COLUMNS]
    rows = [["all", "all", *(report["headline"][c] for c in SPEED_COLUMNS)]]
    for dimension, groups in report["groups"].items():
        rows += [[dimension, g["key"], *(g[c] for c in SPEED_COLUMNS)] for g in groups]
    return header, rows


def funnel_rows(report: dict[str, Any]) -> tuple[Sequence[str], list[list[Any]]]:
    header = ["dimension", "key", *FUNNEL_COLUMNS]
    rows = [["all", "all", *(report["total"][c] for c in FUNNEL_COLUMNS)]]
    for dimension in ("source", "campaign"):
        rows += [[dimension, g["key"], *(g[c] for c in FUNNEL_COLUMNS)] for g in report[f"by_{dimension}"]]
    return header, rows


def fairness_rows(report: dict[str, Any]) -> tuple[Sequence[str], list[list[Any]]]:
    rows = [[p["pool"], *(m[c] for c in FAIRNESS_COLUMNS[1:])] for p in report["pools"] for m in p["members"]]
    return FAIRNESS_COLUMNS, rows


def _cell(value: Any) -> Any:
    """A cell that a spreadsheet would run as a formula is written as text (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


def to_csv(header: Sequence[str], rows: list[list[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([[_cell(v) for v in row] for row in rows])
    return out.getvalue()
