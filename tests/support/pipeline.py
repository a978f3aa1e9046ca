"""The five services and the Slack stand-in as real processes on free ports (e2e tests, benchmarks)."""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.inprocess import free_port
from tests.support.processes import PYTHON, Proc, service, slack_standin
from tests.support.stack import CONSOLE_KEY, ROOT, Stack
from tests.support.tls_proxy import make_certificates

SERVICES = ("capture", "enrich", "score", "route", "notify")
SLACK_SIGNING_SECRET = "test-slack-signing-secret"
SMTP_LOGIN, SMTP_PASSWORD = "apikey", "test-smtp-relay-password"
"""The SMTP stand-in runs as a submission relay does: STARTTLS required, then AUTH."""
TWILIO_SID, TWILIO_TOKEN = "AC00000000000000000000000000000001", "test-twilio-auth-token"


HUBSPOT_TOKEN = "pat-na1-standin-token"
SALESFORCE_CLIENT, SALESFORCE_SECRET = "3MVG9standin", "standin-client-secret"


@dataclass(frozen=True)
class Pipeline:
    capture: str
    slack: str
    route: str
    topic_prefix: str
    notify: str
    twilio: str
    smtp: str
    services: dict[str, Proc] = field(default_factory=dict, compare=False)
    """The five service processes by name, for tests that kill and restart them."""
    ports: dict[str, int] = field(default_factory=dict, compare=False)
    insights: str = ""
    """insights' base URL when the pipeline runs it."""
    hubspot: str = ""
    salesforce: str = ""
    """The CRM stand-ins' base URLs when the pipeline runs them (crm=(hubspot port, salesforce port))."""
    outbound: str = ""
    """outbound's base URL when the pipeline runs it."""


@contextmanager
def run_pipeline(
    stack: Stack,
    log_dir: Path,
    config: Path | None = None,
    paces: str | None = None,
    extra_env: dict[str, str] | None = None,
    insights: bool = False,
    crm: tuple[int, int] | None = None,
    outbound: bool = False,
    service_env: dict[str, dict[str, str]] | None = None,
    topic_prefix: str | None = None,
    replicas: dict[str, int] | None = None,
) -> Iterator[Pipeline]:
    """Start everything, wait until every service is ready, and on exit stop it with SIGTERM,
    failing if a process does not shut down gracefully. `service_env` adds settings for one service
    only (its own Kafka principal, say); `replicas` runs more instances of a service (same consumer
    group, own port), as scaling out does."""
    own = service_env or {}
    slack_port, twilio_port, smtp_port, smtp_http_port = free_port(), free_port(), free_port(), free_port()
    smtp_ca, smtp_cert, smtp_key = make_certificates(ROOT / ".local" / "test-logs" / "smtp-tls")
    prefix = topic_prefix or f"{stack.topic_prefix}p{uuid.uuid4().hex[:4]}."
    ports = {name: free_port() for name in (*SERVICES, "insights", "outbound")}
    env = stack.env(
        LEADRELAY_TOPIC_PREFIX=prefix,
        LEADRELAY_SLACK_API_URL=f"http://127.0.0.1:{slack_port}/api",
        LEADRELAY_SLACK_BOT_TOKEN="xoxb-local-test",
        LEADRELAY_SLACK_SIGNING_SECRET=SLACK_SIGNING_SECRET,
        LEADRELAY_ROUTE_URL=f"http://127.0.0.1:{ports['route']}",
        LEADRELAY_CAPTURE_URL=f"http://127.0.0.1:{ports['capture']}",
        LEADRELAY_CLAIM_LINK_SECRET="test-claim-link-secret",
        LEADRELAY_CLAIM_BASE_URL=f"http://127.0.0.1:{ports['route']}",
        LEADRELAY_TWILIO_API_URL=f"http://127.0.0.1:{twilio_port}",
        LEADRELAY_TWILIO_ACCOUNT_SID=TWILIO_SID,
        LEADRELAY_TWILIO_AUTH_TOKEN=TWILIO_TOKEN,
        LEADRELAY_TWILIO_FROM="+15005550006",
        LEADRELAY_TWILIO_STATUS_CALLBACK_URL=f"http://127.0.0.1:{ports['notify']}/v1/twilio/status",
        LEADRELAY_SMTP_HOST="127.0.0.1",
        LEADRELAY_SMTP_PORT=str(smtp_port),
        LEADRELAY_SMTP_STARTTLS="true",
        LEADRELAY_SMTP_CA_FILE=str(smtp_ca),
        LEADRELAY_SMTP_USERNAME=SMTP_LOGIN,
        LEADRELAY_SMTP_PASSWORD=SMTP_PASSWORD,
        LEADRELAY_SMTP_FROM="leadrelay <alerts@relay.example.com>",
        LEADRELAY_CONSOLE_URL=f"http://127.0.0.1:{ports['insights']}/console",
    )
    if config is not None:
        env["LEADRELAY_CONFIG"] = str(config)
    if paces is not None:
        env["LEADRELAY_CHANNEL_PACES"] = paces
    env.update(extra_env or {})
    if "LEADRELAY_PUBLIC_URL" not in env:  # each service is reached at its own address
        own = {name: {"LEADRELAY_PUBLIC_URL": f"http://127.0.0.1:{ports[name]}", **own.get(name, {})} for name in ports}
    interactions = f"http://127.0.0.1:{ports['notify']}/v1/slack/interactions"
    standin = slack_standin(slack_port, env, log_dir, SLACK_SIGNING_SECRET, interactions).start()
    twilio = Proc(
        "twilio-standin",
        [
            PYTHON,
            "-m",
            "standins.twilio",
            "--port",
            str(twilio_port),
            "--account-sid",
            TWILIO_SID,
            "--auth-token",
            TWILIO_TOKEN,
        ],
        env,
        log_dir / "twilio.log",
    ).start()
    smtp = Proc(
        "smtp-standin",
        [
            *(PYTHON, "-m", "standins.smtp", "--smtp-port", str(smtp_port), "--http-port", str(smtp_http_port)),
            *("--tls-cert", str(smtp_cert), "--tls-key", str(smtp_key)),
            *("--username", SMTP_LOGIN, "--password", SMTP_PASSWORD),
        ],
        env,
        log_dir / "smtp.log",
    ).start()
    procs: list[Proc] = [standin, twilio, smtp]
    crm_urls = {"hubspot": "", "salesforce": ""}
    if crm is not None:
        crm_urls = {"hubspot": f"http://127.0.0.1:{crm[0]}", "salesforce": f"http://127.0.0.1:{crm[1]}"}
        env.update(
            LEADRELAY_HUBSPOT_TOKEN=HUBSPOT_TOKEN,
            LEADRELAY_HUBSPOT_API_URL=crm_urls["hubspot"],
            LEADRELAY_SALESFORCE_TOKEN_URL=f"http://localhost:{crm[1]}/services/oauth2/token",
            LEADRELAY_SALESFORCE_CLIENT_ID=SALESFORCE_CLIENT,
            LEADRELAY_SALESFORCE_CLIENT_SECRET=SALESFORCE_SECRET,
        )
        hub_port, sf_port = (int(u.rsplit(":", 1)[1]) for u in crm_urls.values())
        hub = ["--port", str(hub_port), "--token", HUBSPOT_TOKEN]
        sf = ["--port", str(sf_port), "--client-id", SALESFORCE_CLIENT, "--client-secret", SALESFORCE_SECRET]
        procs.append(
            Proc("hubspot-standin", [PYTHON, "-m", "standins.hubspot", *hub], env, log_dir / "hubspot.log").start()
        )
        procs.append(
            Proc("salesforce-standin", [PYTHON, "-m", "standins.salesforce", *sf], env, log_dir / "sf.log").start()
        )
    try:
        standin.wait_ready(f"http://127.0.0.1:{slack_port}/_standin/messages")
        twilio.wait_ready(f"http://127.0.0.1:{twilio_port}/_standin/messages")
        smtp.wait_ready(f"http://127.0.0.1:{smtp_http_port}/_standin/messages")
        if crm is not None:
            procs[3].wait_ready(f"{crm_urls['hubspot']}/_standin/contacts")
            procs[4].wait_ready(f"{crm_urls['salesforce']}/_standin/leads")
        first = len(procs)
        procs += [service(name, ports[name], {**env, **own.get(name, {})}, log_dir).start() for name in SERVICES]
        for proc, name in zip(procs[first:], SERVICES, strict=True):
            proc.wait_ready(f"http://127.0.0.1:{ports[name]}/readyz")
        running = dict(zip(SERVICES, procs[first:], strict=True))
        for name, count in (replicas or {}).items():
            for n in range(2, count + 1):
                port = free_port()
                extra = {**env, **own.get(name, {}), "LEADRELAY_PORT": str(port)}
                proc = Proc(f"{name}-{n}", [PYTHON, "-m", f"services.{name}"], extra, log_dir / f"{name}-{n}.log")
                procs.append(proc.start())
                proc.wait_ready(f"http://127.0.0.1:{port}/readyz")
        if insights:
            console_env = {**env, "LEADRELAY_ROUTE_API_KEY": CONSOLE_KEY, **own.get("insights", {})}
            running["insights"] = service("insights", ports["insights"], console_env, log_dir).start()
            procs.append(running["insights"])
            running["insights"].wait_ready(f"http://127.0.0.1:{ports['insights']}/readyz")
        if outbound:
            running["outbound"] = service("outbound", ports["outbound"], {**env, **own.get("outbound", {})}, log_dir)
            running["outbound"].start()
            procs.append(running["outbound"])
            running["outbound"].wait_ready(f"http://127.0.0.1:{ports['outbound']}/readyz")
        yield Pipeline(
            f"http://127.0.0.1:{ports['capture']}",
            f"http://127.0.0.1:{slack_port}",
            f"http://127.0.0.1:{ports['route']}",
            prefix,
            f"http://127.0.0.1:{ports['notify']}",
            f"http://127.0.0.1:{twilio_port}",
            f"http://127.0.0.1:{smtp_http_port}",
            running,
            ports,
            f"http://127.0.0.1:{ports['insights']}" if insights else "",
            crm_urls["hubspot"],
            crm_urls["salesforce"],
            f"http://127.0.0.1:{ports['outbound']}" if outbound else "",
        )
    finally:
        unclean = [p.name for p in reversed(procs) if not p.stop()]
    if unclean:
        raise AssertionError(f"did not shut down gracefully on SIGTERM: {unclean}")
