"""simulate-day's pure parts: the scenario's config is a valid business config whose shifts put
the current time inside every rep's shift but one, and the plan is reproducible from its seed."""

from datetime import UTC, datetime
from pathlib import Path

import yaml

from services.ops import simulate_day as sim
from services.route.availability import in_working_hours
from shared.business.loader import load_config


def test_the_scenario_config_loads_and_only_one_shift_is_over(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    path = tmp_path / "day.yaml"
    path.write_text(yaml.safe_dump(sim.scenario_config(now, 6.0)))
    config = load_config(path)
    assert len(config.reps) == 8 and {p.id for p in config.pools} == {"americas", "emea_apac"}
    on_shift = {r.id for r in config.reps if in_working_hours(r, now)}
    assert on_shift == {r[0] for r in sim.REPS} - {"hal"}
    assert config.rep("gus").out_of_office and config.rep("fay").caps.day == sim.DAY_CAP
    assert config.routing.sla.default_minutes == 0.1


def test_the_plan_is_reproducible_and_about_seventy_percent_sales_ready() -> None:
    a, b = sim.plan_day(500, 60, 5, seed=3), sim.plan_day(500, 60, 5, seed=3)
    assert a == b and len(a.leads) == 500
    ready = sum(p.sales_ready for p in a.leads)
    assert 300 < ready < 400
    assert all(0 <= p.at <= 60 for p in a.leads) and [p.at for p in a.leads] == sorted(p.at for p in a.leads)
    assert all(sim.TAG.fullmatch(p.tag) for p in a.leads)
