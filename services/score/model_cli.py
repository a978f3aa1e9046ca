"""`leadrelay model report | train`.

    leadrelay model report --generated 4000 [--seed 7]   a generated dataset with a known signal
    leadrelay model report                               the labelled leads in the database
    leadrelay model train                                train on them now, store, activate if better

`report` trains on one part and prints the holdout AUC of the model, of the rules alone and of the
blend the config sets, and the model's calibration (probability bins against observed rates)."""

import argparse
import asyncio
from datetime import UTC, datetime

from services.score import model_dataset, models_store
from services.score.model_worker import train_from_db
from services.score.training import Example, NotEnoughOutcomes, render, train
from shared.business.loader import load_config_or_exit
from shared.business.scoring import Scoring
from shared.db import Database, make_engine
from shared.settings import BaseServiceSettings


def add_model_parser(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    mp = sub.add_parser("model", help="the predictive scoring model: report or train")
    mp.add_argument("action", choices=["report", "train"])
    mp.add_argument("--generated", type=int, metavar="N", help="report on N generated leads with a known signal")
    mp.add_argument("--seed", type=int, default=7)


async def _examples(scoring: Scoring) -> list[Example]:
    db = Database(make_engine(BaseServiceSettings().database_url, pool_size=1))
    try:
        async with db.session_scope() as session:
            return await models_store.labelled_examples(session, scoring)
    finally:
        await db.dispose()


async def _train(scoring: Scoring) -> str:
    db = Database(make_engine(BaseServiceSettings().database_url, pool_size=1))
    try:
        trained = await train_from_db(db, scoring, datetime.now(UTC))
    finally:
        await db.dispose()
    state = "now active" if trained.activated else "stored, not active (no better than the rules)"
    return f"{render(trained.report)}\n\n{trained.model.version}: {state}"


def model_command(args: argparse.Namespace) -> int:
    scoring = load_config_or_exit(BaseServiceSettings().config).scoring
    try:
        if args.action == "train":
            print(asyncio.run(_train(scoring)))
            return 0
        if args.generated is not None:
            examples = model_dataset.examples(model_dataset.generate(args.generated, args.seed), scoring)
            version = f"generated-{args.generated}-seed{args.seed}"
        else:
            examples = asyncio.run(_examples(scoring))
            version = "report"
        _, report = train(examples, scoring.model, version, seed=args.seed)
    except NotEnoughOutcomes as exc:
        print(f"not enough outcomes to train: {exc}")
        return 1
    print(render(report))
    return 0
