"""Recomputes the SLA gauges from the read model every few seconds (the last day's leads), so
Prometheus can alert on them and the dashboard can show them next to speed to lead."""

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from services.insights import queries, reports
from shared import metrics
from shared.backoff import pause
from shared.db import Database

log = logging.getLogger(__name__)
WINDOW = timedelta(days=1)


class SlaGauges:
    def __init__(self, db: Database, interval_s: float) -> None:
        self._db, self._interval = db, interval_s
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    def readiness(self) -> dict[str, bool]:
        return {}

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.update()
            except Exception as exc:
                log.warning("cannot compute the SLA gauges (%r)", exc)
            await pause(self._stopping, self._interval)

    async def update(self) -> None:
        now = datetime.now(UTC)
        f = queries.ReportFilters(start=(now - WINDOW).date())
        async with self._db.session_scope() as session:
            leads, assignments = await queries.report_rows(session, f)
        recent = [a for a in assignments if a.assigned_at is not None and a.assigned_at >= now - WINDOW]
        for pool, ratio in reports.sla_compliance(recent, now).items():
            metrics.SLA_COMPLIANCE.labels(pool).set(ratio)
        share = reports.speed_to_lead(leads, assignments)["headline"]["claimed_within_5_minutes"]
        if share is not None:
            metrics.CLAIMED_WITHIN_5_MINUTES.set(share)
