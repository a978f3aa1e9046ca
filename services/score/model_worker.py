"""score's predictive-model worker: keeps the active model in memory for the handler (re-read every
few seconds, so a model trained anywhere is used everywhere), and retrains every `retrain_minutes`
once enough new outcomes arrived. A new model becomes active only when it beats the rules alone on
the holdout (unless the config says otherwise); until then scoring stays rules only."""

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from services.score import models_store
from services.score.model import Model
from services.score.training import NotEnoughOutcomes, Report, train
from shared.backoff import pause
from shared.business.scoring import Scoring
from shared.db import Database

log = logging.getLogger(__name__)
REFRESH_SECONDS = 5.0


@dataclass(frozen=True)
class Trained:
    model: Model
    report: Report
    activated: bool


async def train_from_db(db: Database, scoring: Scoring, now: datetime) -> Trained:
    """Train on every labelled lead, store the model, and activate it if it earns it."""
    async with db.session_scope() as session:
        examples = await models_store.labelled_examples(session, scoring)
    version = f"m{now:%Y%m%d%H%M%S}-{len(examples)}"
    model, report = await asyncio.to_thread(train, examples, scoring.model, version)
    activate = report.better_than_rules or not scoring.model.require_better_than_rules
    async with db.session_scope() as session:
        await models_store.save_model(session, model, report, activate)
    return Trained(model, report, activate)


class ModelWorker:
    def __init__(self, db: Database, scoring: Scoring) -> None:
        self._db, self._scoring = db, scoring
        self._model: Model | None = None
        self._trained_on = -1
        self._last_training = 0.0
        self._stopping = asyncio.Event()

    def current(self) -> Model | None:
        return self._model if self._scoring.model.enabled else None

    def stop(self) -> None:
        self._stopping.set()

    def readiness(self) -> dict[str, bool]:
        return {}

    async def refresh(self) -> None:
        async with self._db.session_scope() as session:
            found = await models_store.active_model(session)
        if found is not None and (self._model is None or found.version != self._model.version):
            log.info("scoring with model %s", found.version)
        self._model = found

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while not self._stopping.is_set():
            try:
                await self.refresh()
                due = loop.time() - self._last_training >= self._scoring.model.retrain_minutes * 60
                if self._scoring.model.enabled and due:
                    self._last_training = loop.time()
                    await self._maybe_train()
            except Exception as exc:
                log.warning("model worker cannot reach the database (%r); retrying", exc)
            await pause(self._stopping, REFRESH_SECONDS)

    async def _maybe_train(self) -> None:
        async with self._db.session_scope() as session:
            labelled = await models_store.labelled_count(session)
        if labelled < self._scoring.model.min_outcomes or labelled == self._trained_on:
            return
        try:
            trained = await train_from_db(self._db, self._scoring, datetime.now(UTC))
        except NotEnoughOutcomes as exc:
            log.info("not training yet: %s", exc)
            return
        self._trained_on = labelled
        r = trained.report
        log.info(
            "trained %s: holdout AUC %.3f vs rules %.3f; %s",
            r.version,
            r.auc_model,
            r.auc_rules,
            "active" if trained.activated else "kept inactive (no better than the rules)",
        )
        await self.refresh()
