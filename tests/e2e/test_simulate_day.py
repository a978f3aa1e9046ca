"""`leadrelay simulate-day` against the real stack with insights: 500 leads over a compressed day,
eight reps (shifts in their own time zones, one out of office, one whose shift is over, one capped),
claiming fast, slowly, too late or never through Slack's Claim button. No lead is left without an
owner, every missed SLA is reassigned within the SLA + 1 s, and the insights reports equal the
simulator's ground truth, also after the read model is rebuilt from offset 0."""

import asyncio
import re
import subprocess
from collections import Counter
from datetime import UTC, datetime

import httpx
import yaml

from services.ops import simulate_day as sim
from tests.support.pipeline import run_pipeline
from tests.support.stack import INTAKE_KEY, OPS, OPS_KEY, ROOT, Stack

SLA_SECONDS = 5.0


async def test_a_simulated_day_leaves_no_lead_unowned_and_the_reports_equal_the_truth(stack: Stack) -> None:
    config = sim.scenario_config(datetime.now(UTC), SLA_SECONDS)
    path = ROOT / ".local" / "test-logs" / "simulate-day.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    logs = ROOT / ".local" / "test-logs" / "e2e-simulate-day"
    gauges_every_second = {"LEADRELAY_GAUGES_INTERVAL_S": "1"}
    with run_pipeline(stack, logs, config=path, insights=True, extra_env=gauges_every_second) as p:
        e = sim.Endpoints(p.capture, p.slack, p.route, p.insights, INTAKE_KEY, OPS_KEY)
        scenario = sim.plan_day(500, 60.0, SLA_SECONDS, seed=11)
        truth = await sim.run_day(e, scenario, config)
        print(sim.summary(truth))

        ready = {lead.tag for lead in scenario.leads if lead.sales_ready}
        assert len(truth.posted) == len(truth.lead_ids) == 500
        assert truth.alerted_tags() == ready, "exactly the sales-ready leads were routed"
        assert set(truth.claims) == ready, "every routed lead was claimed in the end (managers claim fast)"
        alerted = Counter(a.rep for a in truth.alerts)
        assert alerted["gus"] == 0 and alerted["hal"] == 0, "out of office and off shift: never alerted"
        assert 0 < alerted["fay"] <= sim.DAY_CAP
        assert sim.claims_by_rep(truth).get("dev", 0) == 0 and truth.refused > 0
        reassigned = sum(1 for n in Counter(a.tag for a in truth.alerts).values() if n > 1)
        assert reassigned > 0, "reps who claim late or never make the SLA reassign leads"

        assert await sim.check_routing(e, truth, SLA_SECONDS) == []
        assert await sim.check_reports(e, truth) == []
        await asyncio.sleep(1.5)
        async with httpx.AsyncClient() as http:
            metrics = (await http.get(f"{p.insights}/metrics", headers=OPS)).text
        ratios = dict(re.findall(r'^leadrelay_sla_compliance_ratio\{pool="(\w+)"\} ([0-9.]+)$', metrics, re.M))
        assert set(ratios) >= {"americas", "emea_apac"} and all(0 <= float(v) <= 1 for v in ratios.values())
        assert float(ratios["americas"]) < 1, "cho claims late and dev never: americas misses SLAs"
        share = re.search(r"^leadrelay_claimed_within_5_minutes_ratio (\S+)$", metrics, re.M)
        assert share is not None and 0 < float(share.group(1)) <= 1

        def rebuild() -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [str(ROOT / ".venv" / "bin" / "leadrelay"), "insights", "rebuild"],
                env=stack.env(LEADRELAY_TOPIC_PREFIX=p.topic_prefix),
                capture_output=True,
                text=True,
                timeout=60,
            )

        refused = rebuild()
        assert refused.returncode == 1 and "stop insights first" in refused.stdout, "not while insights runs"
        insights = p.services["insights"]
        assert insights.stop()
        rebuilt = rebuild()
        assert rebuilt.returncode == 0 and "re-read 42 partitions" in rebuilt.stdout, rebuilt.stdout + rebuilt.stderr
        insights.start()
        insights.wait_ready(f"{p.insights}/readyz")
        assert await sim.check_reports(e, truth, wait_s=60) == [], "rebuilt from offset 0: the same reports"
