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
from shared.business.scoring import Scoring
from shared.db import Database
from shared.polling import PollingWorker

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


class ModelWorker(PollingWorker):
    idle_seconds = REFRESH_SECONDS

    def __init__(self, db: Database, scoring: Scoring) -> None:
        super().__init__()
        self._db, self._scoring = db, scoring
        self._model: Model | None = None
        self._trained_on = -1
        self._last_training = 0.0

    def current(self) -> Model | None:
        return self._model if self._scoring.model.enabled else None

    async def refresh(self) -> None:
        async with self._db.session_scope() as session:
            found = await models_store.active_model(session)
        if found is not None and (self._model is None or found.version != self._model.version):
            log.info("scoring with model %s", found.version)
        self._model = found

    async def tick(self) -> bool:
        """Pick up the active model; retrain when it is time and new outcomes are labelled."""
        now = asyncio.get_running_loop().time()
        await self.refresh()
        if self._scoring.model.enabled and now - self._last_training >= self._scoring.model.retrain_minutes * 60:
            self._last_training = now
            await self._maybe_train()
        return False

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
