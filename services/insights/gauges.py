"""Recomputes the SLA gauges from the read model every few seconds (the last day's leads), so
Prometheus can alert on them and the dashboard can show them next to speed to lead."""

import logging
from datetime import UTC, datetime, timedelta

from services.insights import queries, reports
from shared import metrics
from shared.db import Database
from shared.polling import PollingWorker

log = logging.getLogger(__name__)
WINDOW = timedelta(days=1)


class SlaGauges(PollingWorker):
    def __init__(self, db: Database, interval_s: float) -> None:
        super().__init__()
        self._db = db
        self.idle_seconds = interval_s

    async def tick(self) -> bool:
        await self.update()
        return False

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
