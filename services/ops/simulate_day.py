"""A compressed business day against the running stack, for demos and for checking the reports.

Eight reps in eight time zones, in two pools: one rep is out of office, one's shift has ended, one
has a daily cap; reps claim fast, slowly (within the SLA), too late, or never, by pressing the Claim
button in Slack (the stand-in signs the click as Slack does). Leads arrive from three sources and
three campaigns, busier at midday; about a third are not sales-ready and go to nurture. A day is
compressed into minutes: SLAs are seconds, and the shifts are real (set around the current time).

`plan_day` and `scenario_config` are pure; `run_day` posts the leads, watches the Slack stand-in,
clicks, and keeps the ground truth that `check_*` compare with route and the insights reports."""

import asyncio
import base64
import csv
import itertools
import random
import re
import secrets
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import orjson
import yaml
from standardwebhooks.webhooks import Webhook

from shared.settings import ROOT

COMPANIES = ROOT / "services" / "enrich" / "data" / "companies.csv"
EXAMPLE_CONFIG = ROOT / "config" / "leadrelay.example.yaml"
TARGET_INDUSTRIES = {"Software", "Financial Services", "Healthcare", "E-commerce", "Logistics", "Energy"}
CORE_GEO = {"US", "CA", "GB", "DE", "FR", "NL"}
EMEA_APAC = ["GB", "DE", "FR", "IN", "AU"]
CAMPAIGNS = ("spring-launch", "retargeting", "newsletter")
SOURCES = ("website", "webinar", "partner")
FIRST = ("Dana", "Sam", "Alex", "Priya", "Jonas", "Mei", "Lucas", "Amara", "Noah", "Sofia", "Ravi", "Elena")
LAST = ("Reyes", "Okafor", "Schmidt", "Tanaka", "Silva", "Novak", "Haddad", "Larsen", "Kowalski", "Moreau")

# id, name, time zone, behaviour, situation
REPS: tuple[tuple[str, str, str, str, str], ...] = (
    ("ana", "Ana Ortiz", "America/New_York", "fast", ""),
    ("ben", "Ben Carter", "America/Chicago", "slow", ""),
    ("cho", "Cho Min-jun", "America/Denver", "late", ""),
    ("dev", "Dev Malhotra", "America/Los_Angeles", "never", ""),
    ("eli", "Eli Brennan", "Europe/London", "fast", ""),
    ("fay", "Fay Dubois", "Europe/Berlin", "fast", "capped"),
    ("gus", "Gus Iyer", "Asia/Kolkata", "fast", "out_of_office"),
    ("hal", "Hal Walker", "Australia/Sydney", "fast", "shift_over"),
)
DAY_CAP = 25
TAG = re.compile(r"sim[0-9a-f]{6}n\d{4}")


@dataclass(frozen=True)
class LeadPlan:
    tag: str
    at: float
    """Seconds after the start of the run."""
    source: str
    campaign: str
    sales_ready: bool
    email: str
    name: str
    title: str
    country: str


@dataclass(frozen=True)
class Scenario:
    run: str
    sla_seconds: float
    leads: list[LeadPlan]


def sales_ready_domains() -> list[str]:
    """Companies the example scoring makes sales-ready with a VP title: a target industry, 200+
    employees, in a core market (25 + 20 + 20 + 10 >= 70)."""
    with COMPANIES.open() as f:
        return [
            r["domain"]
            for r in csv.DictReader(f)
            if r["industry"] in TARGET_INDUSTRIES and int(r["employees"]) >= 200 and r["country"] in CORE_GEO
        ]


def plan_day(leads: int, seconds: float, sla_seconds: float, seed: int) -> Scenario:
    rng = random.Random(seed)
    run = f"{rng.getrandbits(24):06x}"
    domains = sales_ready_domains()
    plans = []
    for i in range(leads):
        at = min(max(rng.triangular(0, seconds, seconds / 2), 0.0), seconds)
        ready = rng.random() < 0.7
        first, last = rng.choice(FIRST), rng.choice(LAST)
        tag = f"sim{run}n{i:04d}"
        domain = rng.choice(domains) if ready else "gmail.com"
        plans.append(
            LeadPlan(
                tag=tag,
                at=at,
                source=rng.choice(SOURCES),
                campaign=f"{rng.choice(CAMPAIGNS)}-{run}",
                sales_ready=ready,
                email=f"{first.lower()}.{last.lower()}.{tag}@{domain}",
                name=f"{first} {last}",
                title="VP of Sales" if ready else "Student",
                country=rng.choice(EMEA_APAC) if rng.random() < 0.35 else "US",
            )
        )
    return Scenario(run, sla_seconds, sorted(plans, key=lambda p: p.at))


def _shift(now: datetime, tz: str, over: bool) -> dict[str, Any]:
    """A shift around `now` in the rep's zone, every day of the week; or one that ended two hours ago."""
    here = now.astimezone(ZoneInfo(tz))
    start = (here - timedelta(hours=10 if over else 2)).replace(minute=0, second=0, microsecond=0)
    end = start + timedelta(hours=8 if over else 9)
    days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    return {"days": days, "start": start.strftime("%H:%M"), "end": end.strftime("%H:%M")}


def scenario_config(now: datetime, sla_seconds: float) -> dict[str, Any]:
    """The business config for a simulated day: the example's scoring, the eight reps, two pools."""
    config: dict[str, Any] = yaml.safe_load(EXAMPLE_CONFIG.read_text())
    minutes = sla_seconds / 60
    config["sources"] = [
        {"id": s, "type": "standard_webhooks", "secret": "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()}
        for s in SOURCES
        if s != "website"
    ]
    config["forms"] = []
    config["accounts"] = []
    reps = []
    for rep_id, name, tz, _, situation in REPS:
        rep: dict[str, Any] = {"id": rep_id, "name": name, "slack": slack_id(rep_id), "timezone": tz}
        rep["working_hours"] = _shift(now, tz, over=situation == "shift_over")
        if situation == "out_of_office":
            today = now.astimezone(ZoneInfo(tz)).date()
            rep["out_of_office"] = [{"from": today.isoformat(), "to": (today + timedelta(days=2)).isoformat()}]
        if situation == "capped":
            rep["caps"] = {"day": DAY_CAP}
        reps.append(rep)
    config["reps"] = reps
    config["pools"] = [
        {"id": "americas", "strategy": "round_robin", "members": ["ana", "ben", "cho", "dev"], "manager": "ana"},
        {
            "id": "emea_apac",
            "strategy": "weighted_round_robin",
            "members": [{"rep": "eli", "weight": 2}, "fay", "gus", "hal"],
            "manager": "eli",
        },
    ]
    config["routing"] = {
        "default_pool": "americas",
        "rules": [
            {"id": "emea_apac", "when": [{"field": "lead.fields.country", "in": EMEA_APAC}], "pool": "emea_apac"}
        ],
        "sla": {
            "by_grade": dict.fromkeys("ABCD", minutes),
            "default_minutes": minutes,
            "max_attempts": 2,
        },
    }
    # The simulated managers claim each escalation from its own alert, so none is digested here
    # (a day compressed into a minute would put every escalation in one window).
    config["notifications"] = {"escalation_digest": {"threshold": 10_000}}
    return config


def slack_id(rep_id: str) -> str:
    return f"U0SIM{rep_id.upper()}"


@dataclass(frozen=True)
class Endpoints:
    capture: str
    slack: str
    route: str
    insights: str | None
    intake_key: str
    ops_key: str


@dataclass
class Alert:
    tag: str
    assignment_id: str
    rep: str
    ts: str
    received_at: float


@dataclass
class Truth:
    """What the simulator saw: leads posted, alerts received, claims Slack confirmed."""

    lead_ids: dict[str, str] = field(default_factory=dict)
    posted: dict[str, LeadPlan] = field(default_factory=dict)
    alerts: list[Alert] = field(default_factory=list)
    claims: dict[str, tuple[str, str]] = field(default_factory=dict)
    """tag -> (rep, assignment_id) of the claim that succeeded."""
    refused: int = 0

    def alerted_tags(self) -> set[str]:
        return {a.tag for a in self.alerts}


def behaviour_of(rep_id: str) -> str:
    return next(b for r, _, _, b, _ in REPS if r == rep_id)


def claim_delay(behaviour: str, sla: float, rng: random.Random) -> float | None:
    if behaviour == "fast":
        return rng.uniform(0.2, 0.25 * sla)
    if behaviour == "slow":
        return rng.uniform(0.5 * sla, 0.8 * sla)
    if behaviour == "late":
        return 1.5 * sla
    return None


async def _post(http: httpx.AsyncClient, e: Endpoints, lead: LeadPlan, secrets_by_source: dict[str, str]) -> str:
    body = {
        "email": lead.email,
        "name": lead.name,
        "title": lead.title,
        "country": lead.country,
        "utm_campaign": lead.campaign,
        "utm_source": lead.source,
    }
    raw = orjson.dumps(body)
    if lead.source == "website":
        headers = {"X-API-Key": e.intake_key, "Content-Type": "application/json"}
        url = f"{e.capture}/v1/webhooks/generic"
    else:
        at = datetime.now(UTC)
        msg_id = f"msg_{lead.tag}"
        headers = {
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": Webhook(secrets_by_source[lead.source]).sign(msg_id, at, raw.decode()),
            "Content-Type": "application/json",
        }
        url = f"{e.capture}/v1/webhooks/{lead.source}"
    for _ in range(5):
        response = await http.post(url, content=raw, headers=headers)
        if response.status_code in (200, 202):
            return str(response.json()["lead_id"])
        if response.status_code not in (429, 503):
            raise RuntimeError(f"capture refused {lead.tag}: {response.status_code} {response.text}")
        await asyncio.sleep(0.5)
    raise RuntimeError(f"capture kept refusing {lead.tag}")


def _alert_of(message: dict[str, Any], reps_by_slack: dict[str, str]) -> Alert | None:
    body = message["body"]
    for block in body.get("blocks", []):
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            if element.get("action_id") == "claim":
                assignment_id = str(element.get("value", "")).split("|")[0]
                found = TAG.search(str(body.get("text", "")) + str(body.get("blocks")))
                tag = found.group(0) if found else None
                rep = reps_by_slack.get(message["channel"])
                if tag and rep:
                    return Alert(tag, assignment_id, rep, message["ts"], float(message["received_at"]))
    return None


async def run_day(e: Endpoints, scenario: Scenario, config: dict[str, Any], seed: int = 7) -> Truth:
    """Post every lead on schedule, click Claim as each rep would, and return the ground truth once
    every sales-ready lead is claimed or the day's tail (3 SLAs after the last lead) has passed."""
    truth = Truth()
    rng = random.Random(seed)
    source_secrets = {s["id"]: str(s["secret"]) for s in config["sources"]}
    reps_by_slack = {slack_id(r[0]): r[0] for r in REPS}
    sla = scenario.sla_seconds
    async with httpx.AsyncClient(timeout=15) as http:
        offset = len((await http.get(f"{e.slack}/_standin/messages")).json())
        clicks: set[asyncio.Task[None]] = set()

        async def claim_later(alert: Alert, delay: float) -> None:
            await asyncio.sleep(delay)
            answer = (
                await http.post(f"{e.slack}/_standin/click", json={"ts": alert.ts, "user_id": slack_id(alert.rep)})
            ).json()
            if answer.get("status") == 200 and answer["body"].get("ok"):
                truth.claims.setdefault(alert.tag, (alert.rep, alert.assignment_id))
            else:
                truth.refused += 1

        async def watch(until: asyncio.Event) -> None:
            nonlocal offset
            while True:
                messages = (await http.get(f"{e.slack}/_standin/messages", params={"offset": offset})).json()
                offset += len(messages)
                for m in messages:
                    alert = _alert_of(m, reps_by_slack)
                    if alert is None or alert.tag not in truth.posted:
                        continue
                    truth.alerts.append(alert)
                    delay = claim_delay(behaviour_of(alert.rep), sla, rng)
                    if delay is not None:
                        task = asyncio.create_task(claim_later(alert, delay))
                        clicks.add(task)
                        task.add_done_callback(clicks.discard)
                if until.is_set() and not messages:
                    return
                await asyncio.sleep(0.1)

        async def post_all() -> None:
            start = time.monotonic()
            posts = []
            for lead in scenario.leads:
                await asyncio.sleep(max(lead.at - (time.monotonic() - start), 0.0))
                truth.posted[lead.tag] = lead
                posts.append(asyncio.create_task(_post(http, e, lead, source_secrets)))
            for lead, lead_id in zip(scenario.leads, await asyncio.gather(*posts), strict=True):
                truth.lead_ids[lead.tag] = lead_id

        done = asyncio.Event()
        watcher = asyncio.create_task(watch(done))
        await post_all()
        ready = {p.tag for p in scenario.leads if p.sales_ready}
        deadline = time.monotonic() + 3 * sla + 10
        while time.monotonic() < deadline and not ready <= set(truth.claims):
            await asyncio.sleep(0.5)
        await asyncio.sleep(1.0)
        done.set()
        await watcher
        if clicks:
            await asyncio.gather(*clicks)
    return truth


async def check_routing(e: Endpoints, truth: Truth, sla_seconds: float) -> list[str]:
    """From route's own record: every routed lead has an owner (assigned or escalated, never held),
    and each assignment left unclaimed was followed by the next within its SLA + 1 s."""
    problems = []
    now = datetime.now(UTC)
    async with httpx.AsyncClient(timeout=15) as http:
        for tag in sorted(truth.alerted_tags()):
            lead_id = truth.lead_ids[tag]
            body = (await http.get(f"{e.route}/v1/leads/{lead_id}/routing", headers={"X-API-Key": e.ops_key})).json()
            decisions = body.get("decisions", [])
            if not decisions or decisions[-1]["rep_id"] is None:
                problems.append(f"{tag}: left without an owner")
                continue
            last = decisions[-1]
            overdue = last["sla_due_at"] and datetime.fromisoformat(last["sla_due_at"]) < now - timedelta(seconds=1)
            if last["claimed_at"] is None and overdue:
                problems.append(f"{tag}: attempt {last['attempt']} unclaimed past its SLA and not reassigned")
            for this, nxt in itertools.pairwise(decisions):
                if this["claimed_at"] is not None or this["sla_due_at"] is None:
                    continue
                due = datetime.fromisoformat(this["sla_due_at"])
                if datetime.fromisoformat(nxt["created_at"]) > due + timedelta(seconds=1):
                    problems.append(f"{tag}: attempt {nxt['attempt']} came {nxt['created_at']}, SLA was {due}")
    return problems


def expected_reports(truth: Truth) -> dict[str, dict[str, int]]:
    """Per campaign: the funnel's counts as the simulator saw them."""
    by: dict[str, Counter[str]] = defaultdict(Counter)
    alerted = truth.alerted_tags()
    for tag, lead in truth.posted.items():
        counts = by[lead.campaign]
        counts["captured"] += 1
        counts["sql"] += tag in alerted
        counts["assigned"] += tag in alerted
        counts["claimed"] += tag in truth.claims
    return {k: dict(v) for k, v in by.items()}


def claims_by_rep(truth: Truth) -> dict[str, int]:
    return dict(Counter(rep for rep, _ in truth.claims.values()))


async def reported(e: Endpoints, campaigns: list[str]) -> tuple[dict[str, dict[str, int]], dict[str, int]]:
    """insights' funnel counts per campaign and claims per rep, over the run's campaigns."""
    assert e.insights is not None
    funnel: dict[str, dict[str, int]] = {}
    per_rep: Counter[str] = Counter()
    headers = {"X-API-Key": e.ops_key}
    async with httpx.AsyncClient(timeout=15) as http:
        for campaign in campaigns:
            f = (
                await http.get(f"{e.insights}/v1/reports/funnel", params={"campaign": campaign}, headers=headers)
            ).json()
            t = f["total"]
            funnel[campaign] = {k: t[k] for k in ("captured", "sql", "assigned", "claimed")}
            s = await http.get(f"{e.insights}/v1/reports/speed-to-lead", params={"campaign": campaign}, headers=headers)
            for row in s.json()["groups"]["rep"]:
                per_rep[row["key"]] += row["claimed"]
    return funnel, {k: v for k, v in per_rep.items() if v}


async def check_reports(e: Endpoints, truth: Truth, wait_s: float = 30) -> list[str]:
    """The insights reports equal the ground truth (waiting for the read model to catch up)."""
    expected, expected_reps = expected_reports(truth), claims_by_rep(truth)
    deadline = time.monotonic() + wait_s
    while True:
        funnel, per_rep = await reported(e, sorted(expected))
        if funnel == expected and per_rep == expected_reps:
            return []
        if time.monotonic() > deadline:
            return [f"funnel {funnel} != {expected}", f"claims by rep {per_rep} != {expected_reps}"]
        await asyncio.sleep(1.0)


def summary(truth: Truth) -> str:
    alerted = truth.alerted_tags()
    reassigned = sum(1 for n in Counter(a.tag for a in truth.alerts).values() if n > 1)
    lines = [
        f"posted {len(truth.posted)} leads; {len(alerted)} routed, {len(truth.posted) - len(alerted)} to nurture",
        f"{len(truth.alerts)} Slack alerts; {reassigned} leads reassigned at least once; {truth.refused} late clicks",
        f"claimed {len(truth.claims)}: " + ", ".join(f"{rep} {n}" for rep, n in sorted(claims_by_rep(truth).items())),
    ]
    return "\n".join(lines)
