"""Versioned routing configuration without I/O: a draft is validated as a whole and refused by field
path; a diff names reps, pools and members by id; a version never holds a secret; a live config
swaps versions between batches only, and "applied" waits for every batch decided by the old one;
route and score stamp the version that decided on their events."""

import asyncio
import copy
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from services.enrich.handler import EnrichDeps
from services.enrich.reference_data import ReferenceData
from services.route.handler import route_batch
from services.route.impact import impact
from services.route.replay import RecordedLead
from services.score.decision import LeadState, rescore_decision
from shared.business.loader import BusinessConfig, load_config
from shared.business.schema import schema
from shared.business.versioned import VERSIONED, DraftInvalid, diff, routing_part, with_version
from shared.config_versions import Version
from shared.events import LeadAssignedEvent
from shared.live_config import LiveConfig
from tests.support.events import scored_event
from tests.support.fake_route_uow import FakeRouteUnitOfWork, RouteTables

EXAMPLE = load_config(Path(__file__).parents[2] / "config" / "leadrelay.example.yaml")
NOW = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)


def draft() -> dict[str, Any]:
    return copy.deepcopy(routing_part(EXAMPLE, compact=False))


def version(n: int, document: dict[str, Any]) -> Version:
    return Version(n, document, "ops", f"v{n}", [], None, NOW)


def refused(document: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(DraftInvalid) as caught:
        with_version(EXAMPLE, document)
    return {e.field: e.message for e in caught.value.errors}


def test_the_files_own_routing_part_makes_the_same_config_again() -> None:
    again = with_version(EXAMPLE, draft())
    assert again == EXAMPLE == with_version(EXAMPLE, routing_part(EXAMPLE)), "compact or full"
    assert "active" not in routing_part(EXAMPLE)["reps"][0], "the compact form leaves defaults out"
    assert again.sources == EXAMPLE.sources, "what is not versioned comes from the file"


def test_a_pool_naming_an_unknown_rep_is_refused_at_its_field_path() -> None:
    d = draft()
    d["pools"][0]["members"][1]["rep"] = "nobody"
    d["routing"]["default_pool"] = "nowhere"
    errors = refused(d)
    assert "nobody" in errors["pools.0.members.1.rep"]
    assert "nowhere" in errors["routing.default_pool"]


def test_a_negative_cap_an_unknown_key_and_a_missing_routing_are_refused() -> None:
    d = draft()
    d["reps"][0]["caps"] = {"day": -1}
    assert "reps.0.caps.day" in refused(d)
    assert "sources" in refused({**draft(), "sources": []}), "sources stay in the file"
    without = draft()
    del without["routing"]
    assert refused(without) == {"routing": "required"}


def test_a_diff_names_reps_pools_and_members_by_id() -> None:
    d = draft()
    d["reps"][1]["active"] = False
    d["pools"][0]["members"].append({"rep": "maya", "weight": 2})
    changes = {c["path"]: (c["before"], c["after"]) for c in diff(draft(), d)}
    assert changes == {
        f"reps.{d['reps'][1]['id']}.active": (True, False),
        f"pools.{d['pools'][0]['id']}.members.maya": (None, {"rep": "maya", "weight": 2}),
    }
    assert diff(draft(), draft()) == []


def test_no_part_of_a_version_can_hold_a_secret() -> None:
    definitions = schema().get("$defs", {})
    versioned = {k: v for k, v in schema()["properties"].items() if k in VERSIONED}
    reachable = str(versioned)
    named = [name for name in definitions if f"#/$defs/{name}" in reachable]
    assert named, "the versioned part refers to its models"
    assert "secret_env" not in str([definitions[n] for n in named]) + reachable


def test_a_config_carries_the_version_it_was_made_from() -> None:
    assert EXAMPLE.version == 0
    assert EXAMPLE.at_version(7).version == 7
    assert EXAMPLE.version == 0, "stamping makes a copy"


async def test_a_batch_keeps_its_version_and_applied_waits_for_it() -> None:
    live = LiveConfig.fixed(EXAMPLE)
    moved = draft()
    moved["reps"][0]["active"] = False
    started = asyncio.Event()
    finish = asyncio.Event()

    async def old_batch() -> int:
        async with live.use() as applied:
            started.set()
            await finish.wait()
            return applied.version

    batch = asyncio.create_task(old_batch())
    await started.wait()
    applying = asyncio.create_task(live.apply(version(3, moved)))
    await asyncio.sleep(0.05)
    assert live.current.version == 3, "batches begun from now on get the new version"
    async with live.use() as applied:
        assert applied.version == 3 and applied.config.reps[0].active is False
    assert not applying.done(), "not applied while a batch is still decided by the old version"
    finish.set()
    assert await batch == 0
    assert await asyncio.wait_for(applying, 1) is True


async def test_a_version_this_service_cannot_use_or_an_older_one_leaves_the_current_in_force() -> None:
    def no_zed(config: BusinessConfig) -> None:
        if "zed" in config.rep_ids:
            raise ValueError("zed uses a strategy unknown here")

    live = LiveConfig(EXAMPLE, check=no_zed)
    live.loaded.set()
    assert await live.apply(version(2, draft()))
    with_zed = draft()
    with_zed["reps"].append({"id": "zed", "name": "Zed"})
    assert await live.apply(version(3, with_zed)) is False
    assert await live.apply(version(1, draft())) is True
    assert live.current.version == 2


async def test_a_batch_waits_until_the_latest_version_was_looked_for() -> None:
    live = LiveConfig(EXAMPLE)

    async def batch() -> int:
        async with live.use() as applied:
            return applied.version

    waiting = asyncio.create_task(batch())
    await asyncio.sleep(0.05)
    assert not waiting.done()
    await live.apply(version(4, draft()))
    live.loaded.set()
    assert await waiting == 4


async def test_route_and_score_name_the_version_that_decided() -> None:
    config = EXAMPLE.at_version(9)
    event = scored_event(90)
    ready = event.model_copy(update={"data": event.data.model_copy(update={"stage": "sql"})})
    async with FakeRouteUnitOfWork(RouteTables.for_config(config), config) as uow:
        [[assigned]] = await route_batch([ready], uow, config, NOW)
    assert isinstance(assigned, LeadAssignedEvent) and assigned.data.config_version == 9
    state = LeadState(event.lead_id, event.correlation_id, event.data.lead, None, None, None)
    scored, _ = rescore_decision(state, [], config.scoring, NOW, event, None, 9)
    assert scored is not None and scored.data.config_version == 9


def test_preview_impact_names_the_moved_leads_per_rep_and_pool_with_both_traces() -> None:
    def ready(i: int) -> RecordedLead:
        event = scored_event(90, f"p{i}@initech.com")
        data = event.data.model_copy(update={"stage": "sql"})
        return RecordedLead(event.lead_id, data, NOW + timedelta(minutes=i), None)

    recorded = [ready(i) for i in range(6)]
    moved = draft()
    inbound = next(p for p in moved["pools"] if p["id"] == "inbound")
    inbound["members"] = [m for m in inbound["members"] if m["rep"] != "chen"]
    result = impact(EXAMPLE, with_version(EXAMPLE, moved), recorded, sample=1)
    assert result["leads"] == 6 and result["moved"] == 4, result
    chen = next(row for row in result["by_rep"] if row["key"] == "chen")
    assert chen["before"] == 2 and chen["after"] == 0
    assert result["by_pool"] == [], "the pool keeps its leads; they go to other reps in it"
    [one] = result["sample"]
    assert one["before"]["owner"] != one["after"]["owner"] and one["after"]["trace"]
    assert result["now_nurtured"] == result["now_held"] == 0


async def test_enrich_matches_the_accounts_of_the_version_in_force() -> None:
    live = LiveConfig.fixed(EXAMPLE)
    deps = EnrichDeps(ReferenceData({}, frozenset(), frozenset(), "US"), live)
    async with live.use() as applied:
        assert deps.reference(applied).accounts is not None
        assert deps.reference(applied).accounts.match("initrode.com", None, False) is None  # type: ignore[union-attr]
    with_account = draft()
    with_account["accounts"].append({"domain": "initrode.com", "owner": "chen"})
    assert await live.apply(version(5, with_account))
    async with live.use() as applied:
        found = deps.reference(applied).accounts.match("initrode.com", None, False)  # type: ignore[union-attr]
    assert found is not None and found.owner == "chen"


def test_a_day_cap_above_the_week_cap_is_refused_at_its_field() -> None:
    d = draft()
    d["reps"][3]["caps"] = {"day": 60, "week": 50}
    errors = refused(d)
    assert errors == {"reps.3.caps": "the day cap (60) exceeds the week cap (50)"}, errors
