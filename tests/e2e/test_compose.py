"""deploy/compose.yaml as shipped, run without a container engine: each service's command from the file,
with exactly the environment compose would give it, resolved from deploy/.env.example with every
CHANGE value replaced (what a user does first). Only the network is translated, as the containers'
network would: `kafka:9092`, `postgres:5432`, `route:8000` and `capture:8000` become this session's local addresses,
each container's port 8000 a free local port, the `../config:/app/config` mount the repository's
config/, and the database and topics get this session's names (a prefix is added) so nothing is
shared with other tests. The Slack stand-in takes Slack's place through SLACK_API_URL."""

import asyncio
import re
import secrets
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import yaml

from tests.e2e.test_webhook_to_slack import alerts_for
from tests.support.inprocess import free_port
from tests.support.processes import PYTHON, Proc, slack_standin
from tests.support.stack import ADMIN_DSN, KAFKA, PG_PORT, ROOT, Stack, drop_database

DEPLOY = ROOT / "deploy"
LOGS = ROOT / ".local" / "test-logs" / "compose"
BIN = ROOT / ".venv" / "bin"
ONE_SHOTS = ("migrate", "topics")
LONG_RUNNING = ("capture", "enrich", "score", "route", "notify", "insights", "outbound", "lag-exporter")


def env_file(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name] = value
    return values


def user_env(slack_api: str) -> dict[str, str]:
    """deploy/.env.example with each CHANGE-... token replaced by a random secret (the same token gets
    the same secret everywhere, so NOTIFY_ROUTE_KEY still matches its key in LEADRELAY_API_KEYS)."""
    values = env_file(DEPLOY / ".env.example")
    tokens = {t: secrets.token_hex(16) for v in values.values() for t in re.findall(r"CHANGE-[\w-]+", v)}
    for name, value in values.items():
        for token, secret in sorted(tokens.items(), key=lambda item: -len(item[0])):
            value = value.replace(token, secret)
        values[name] = value
    values["SLACK_API_URL"] = slack_api
    return values


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's ${NAME} and ${NAME:-default}."""

    def one(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(3)
        found = env.get(name, "")
        return found if found else (default or "")

    return re.sub(r"\$\{(\w+)(:-([^}]*))?\}", one, value)


@dataclass
class Network:
    """The container network's addresses as local ones."""

    database: str
    prefix: str
    ports: dict[str, int]

    def translate(self, name: str, value: str) -> str:
        value = value.replace("kafka:9092", KAFKA).replace("postgres:5432", f"127.0.0.1:{PG_PORT}")
        value = value.replace("@127.0.0.1:" + str(PG_PORT) + "/leadrelay", f"@127.0.0.1:{PG_PORT}/{self.database}")
        value = value.replace("route:8000", f"127.0.0.1:{self.ports['route']}")
        value = value.replace("capture:8000", f"127.0.0.1:{self.ports['capture']}")
        return value.replace("/app/config", str(ROOT / "config"))

    def environment(self, service: str, declared: dict[str, Any], user: dict[str, str]) -> dict[str, str]:
        env = {k: self.translate(k, interpolate(str(v), user)) for k, v in declared.items()}
        if "LEADRELAY_PORT" in env and service in self.ports:
            env["LEADRELAY_PORT"] = str(self.ports[service])
        env["LEADRELAY_TOPIC_PREFIX"] = self.prefix
        return env

    def command(self, service: str, argv: list[str]) -> list[str]:
        tools = {"python": PYTHON, "leadrelay": str(BIN / "leadrelay"), "alembic": str(BIN / "alembic")}
        out = [tools.get(argv[0], argv[0]), *argv[1:]]
        return [str(self.ports[service]) if a == "8000" and service in self.ports else a for a in out]


@dataclass
class Deployment:
    urls: dict[str, str]
    user: dict[str, str]
    slack: str

    def key(self, name: str) -> str:
        keys = yaml.safe_load(self.user["LEADRELAY_API_KEYS"])
        return str(next(k["key"] for k in keys if k["name"] == name))


def compose() -> dict[str, Any]:
    return dict(yaml.safe_load((DEPLOY / "compose.yaml").read_text()))


async def _database(name: str) -> None:
    conn = await asyncpg.connect(ADMIN_DSN)
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = 'leadrelay'"):
            await conn.execute("CREATE ROLE leadrelay LOGIN")
        await conn.execute(f'CREATE DATABASE "{name}" OWNER leadrelay')
    finally:
        await conn.close()


@pytest.fixture(scope="module")
def deployment(stack: Stack) -> Iterator[Deployment]:
    import asyncio

    spec = compose()["services"]
    shutil.rmtree(LOGS, ignore_errors=True)
    slack_port = free_port()
    user = user_env(f"http://127.0.0.1:{slack_port}/api")
    network = Network(
        database=f"{stack.database}_compose",
        prefix=f"{stack.topic_prefix}compose.",
        ports={name: free_port() for name in LONG_RUNNING},
    )
    asyncio.run(_database(network.database))
    env_for = {name: network.environment(name, spec[name].get("environment", {}), user) for name in spec}
    interactions = f"http://127.0.0.1:{network.ports['notify']}/v1/slack/interactions"
    standin = slack_standin(
        slack_port, {"PATH": "/usr/bin:/bin"}, LOGS, user["LEADRELAY_SLACK_SIGNING_SECRET"], interactions
    ).start()
    procs: list[Proc] = [standin]
    try:
        standin.wait_ready(f"http://127.0.0.1:{slack_port}/_standin/messages")
        for name in ONE_SHOTS:
            argv = network.command(name, spec[name]["command"])
            done = subprocess.run(argv, cwd=ROOT, env=env_for[name], capture_output=True, text=True, timeout=180)
            assert done.returncode == 0, f"{name} failed:\n{done.stdout}\n{done.stderr}"
        for name in LONG_RUNNING:
            argv = network.command(name, spec[name]["command"])
            procs.append(Proc(name, argv, env_for[name], LOGS / f"{name}.log").start())
        for proc in procs[1:]:
            url = f"http://127.0.0.1:{network.ports[proc.name]}"
            proc.wait_ready(f"{url}/readyz" if proc.name != "lag-exporter" else f"{url}/healthz", timeout=90)
        urls = {name: f"http://127.0.0.1:{port}" for name, port in network.ports.items()}
        yield Deployment(urls, user, f"http://127.0.0.1:{slack_port}")
    finally:
        unclean = [p.name for p in reversed(procs) if not p.stop()]
        asyncio.run(drop_database(network.database))
    assert not unclean, f"did not stop gracefully: {unclean}"


def test_services_run_in_production_mode_as_shipped() -> None:
    spec = compose()["services"]
    for name in LONG_RUNNING:
        env = spec[name]["environment"]
        assert env["LEADRELAY_ENV"] == "production", name
        assert "LEADRELAY_API_KEYS" in env, f"{name} has no API keys: its /metrics would answer 401"
    assert spec["notify"]["environment"]["LEADRELAY_ROUTE_API_KEY"] == "${NOTIFY_ROUTE_KEY}"
    assert spec["insights"]["environment"]["LEADRELAY_ROUTE_API_KEY"] == "${CONSOLE_ROUTE_KEY}"
    assert (ROOT / spec["capture"]["volumes"][0].split(":")[0].replace("..", ".")).exists()
    assert (ROOT / "config" / "leadrelay.yaml").exists(), "compose's LEADRELAY_CONFIG exists"


async def test_a_posted_lead_reaches_slack_and_the_claim_button_claims(deployment: Deployment) -> None:
    tag = uuid.uuid4().hex[:10]
    lead = {"email": f"amara.obi+{tag}@hooli.com", "name": "Amara Obi", "title": "VP of Sales", "source": "website"}
    async with httpx.AsyncClient(timeout=10) as http:
        posted = await http.post(
            f"{deployment.urls['capture']}/v1/webhooks/generic",
            json=lead,
            headers={"X-API-Key": deployment.key("website")},
        )
        assert posted.status_code == 202, posted.text
        [alert] = (await alerts_for(deployment.slack, {tag}, timeout=90))[tag]
        click = (
            await http.post(f"{deployment.slack}/_standin/click", json={"ts": alert["ts"], "user_id": alert["channel"]})
        ).json()
    assert click["status"] == 200 and click["body"]["ok"] is True, click


async def test_the_console_login_works_and_reads_field_reviews_from_capture(deployment: Deployment) -> None:
    tag = uuid.uuid4().hex[:10]
    async with httpx.AsyncClient(timeout=10) as http:
        posted = await http.post(
            f"{deployment.urls['capture']}/v1/webhooks/generic",
            json={"email": f"rev+{tag}@hooli.com", "name": "Rev Iew", "title": "VP of Sales"},
            headers={"X-API-Key": deployment.key("website")},
        )
    lead_id = posted.json()["lead_id"]
    async with httpx.AsyncClient(base_url=deployment.urls["insights"]) as http:
        login = await http.post("/console/login", data={"key": deployment.key("ops")})
        assert login.status_code == 303, login.text
        cookie = login.headers["set-cookie"]
        assert "secure" in cookie.lower(), "production sets a Secure cookie (browsers send it to http://localhost too)"
        name, value = cookie.split(";", 1)[0].split("=", 1)
        page = await http.get("/console", headers={"Cookie": f"{name}={value}"})
        anonymous = await http.get("/console")
        async with asyncio.timeout(30):
            while (
                lead := await http.get(f"/console/leads/{lead_id}", headers={"Cookie": f"{name}={value}"})
            ).status_code == 404:
                await asyncio.sleep(0.3)
    assert page.status_code == 200 and "leadrelay" in page.text.lower(), page.text[:300]
    assert anonymous.status_code == 303, "without the session the console sends you to the login"
    assert 'id="no-reviews"' in lead.text, "the console reads capture's field reviews with compose's key and URL"


async def test_metrics_are_scraped_with_the_configured_credential(deployment: Deployment) -> None:
    async with httpx.AsyncClient() as http:
        for name, url in deployment.urls.items():
            anonymous = await http.get(f"{url}/metrics")
            scraped = await http.get(f"{url}/metrics", headers={"Authorization": f"Bearer {deployment.key('ops')}"})
            assert anonymous.status_code == 401, name
            assert scraped.status_code == 200 and "# TYPE" in scraped.text, (
                name,
                scraped.status_code,
                scraped.text[:200],
            )
