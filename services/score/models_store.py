"""Trained models in `score.models` and the labelled leads they learn from (schema `score`): a lead
is labelled by its latest outcome behaviour event (converted, won, lost). The rules' total a lead
had is recomputed from its stored facts, without outcomes, so the baseline is what routing saw."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.score.engine import score_lead
from services.score.model import Model, features, label
from services.score.training import Example, Report
from shared.business.scoring import OUTCOMES, Scoring
from shared.payloads import Activity, EnrichedLead


async def active_model(session: AsyncSession) -> Model | None:
    row = (await session.execute(text("SELECT version, weights FROM score.models WHERE active"))).one_or_none()
    if row is None:
        return None
    doc: dict[str, Any] = row.weights if isinstance(row.weights, dict) else orjson.loads(row.weights)
    return Model.from_json({**doc, "version": row.version})


async def save_model(session: AsyncSession, model: Model, report: Report, activate: bool) -> None:
    if activate:
        await session.execute(text("UPDATE score.models SET active = false WHERE active"))
    await session.execute(
        text(
            "INSERT INTO score.models (version, trained_on, tested_on, auc_model, auc_rules, ece, weights, active)"
            " VALUES (:v, :n, :t, :am, :ar, :e, CAST(:w AS jsonb), :a)"
        ),
        {
            "v": model.version,
            "n": report.trained_on,
            "t": report.tested_on,
            "am": report.auc_model,
            "ar": report.auc_rules,
            "e": report.ece,
            "w": orjson.dumps(model.to_json()).decode(),
            "a": activate,
        },
    )


async def labelled_count(session: AsyncSession) -> int:
    return int(
        (
            await session.execute(
                text("SELECT count(DISTINCT lead_id) FROM score.activities WHERE kind = ANY(:k)"),
                {"k": list(OUTCOMES)},
            )
        ).scalar_one()
    )


async def labelled_examples(session: AsyncSession, scoring: Scoring) -> list[Example]:
    rows = await session.execute(
        text(
            "SELECT l.lead_id, l.enriched, a.kind, a.occurred_at, a.properties FROM score.leads l"
            " JOIN score.activities a ON a.lead_id = l.lead_id"
            " WHERE l.enriched IS NOT NULL AND l.lead_id IN"
            " (SELECT lead_id FROM score.activities WHERE kind = ANY(:k))"
            " ORDER BY l.lead_id, a.occurred_at"
        ),
        {"k": list(OUTCOMES)},
    )
    by_lead: dict[UUID, tuple[Any, list[Activity]]] = {}
    for r in rows:
        entry = by_lead.setdefault(r.lead_id, (r.enriched, []))
        entry[1].append(Activity(kind=r.kind, occurred_at=r.occurred_at, properties=r.properties or {}))
    return [e for raw, acts in by_lead.values() if (e := example(EnrichedLead.model_validate(raw), acts, scoring))]


def example(lead: EnrichedLead, activities: Sequence[Activity], scoring: Scoring) -> Example | None:
    outcome = label(activities)
    if outcome is None:
        return None
    before = [a for a in activities if a.kind not in OUTCOMES]
    at: datetime = min(a.occurred_at for a in activities if a.kind in OUTCOMES)
    rules = score_lead(lead, before, scoring, at)
    return Example(features(lead, before), outcome, rules.total)
