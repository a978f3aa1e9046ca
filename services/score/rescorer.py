"""Periodic re-scoring: engagement points decay, so a lead's score changes with time alone. Every
`rescore_interval_seconds` each lead with activities is re-scored; a changed score is published
(and acknowledged) before the new result is committed."""

import asyncio
import logging
from uuid import UUID

from aiokafka import AIOKafkaProducer

from services.score import repository
from services.score.handler import ScoreDeps, rescore
from shared.events import LeadScoredEvent
from shared.publish import Publisher
from shared.settings import BaseServiceSettings

log = logging.getLogger(__name__)
PAGE = 500


class Rescorer:
    def __init__(self, deps: ScoreDeps, producer: AIOKafkaProducer, settings: BaseServiceSettings) -> None:
        self._deps = deps
        self._publisher = Publisher(producer, settings)
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    def readiness(self) -> dict[str, bool]:
        return {}

    async def _publish(self, event: LeadScoredEvent) -> None:
        await self._publisher.publish([event])

    async def run_once(self) -> int:
        """Re-score every candidate lead at one instant; returns how many scores changed."""
        now = self._deps.clock()
        changed, after = 0, None
        while not self._stopping.is_set():
            async with self._deps.db.session_scope() as session:
                page: list[UUID] = await repository.leads_to_rescore(session, PAGE, after)
            if not page:
                break
            for lead_id in page:
                if await rescore(self._deps, lead_id, now, None, self._publish) is not None:
                    changed += 1
            after = page[-1]
        return changed

    async def run(self) -> None:
        interval = self._deps.base.scoring.rescore_interval_seconds
        while not self._stopping.is_set():
            try:
                await asyncio.wait_for(self._stopping.wait(), interval)
                return
            except TimeoutError:
                pass
            try:
                changed = await self.run_once()
                log.info("periodic re-score: %d leads changed", changed)
            except Exception:
                log.exception("periodic re-score failed; will try again next interval")
