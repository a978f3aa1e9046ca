"""Email through an SMTP relay that behaves like SendGrid, SES or Workspace on 587: the stand-in runs
as a process requiring STARTTLS and then AUTH, with a certificate from a local CA. notify's email
channel sends through it only when it uses STARTTLS, trusts the relay's CA and logs in; every other
way is refused with the relay's own words, and nothing is recorded."""

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from services.notify.channels.base import DeliveryError
from services.notify.channels.email import SmtpEmail
from tests.support.inprocess import free_port
from tests.support.processes import PYTHON, Proc
from tests.support.stack import ROOT
from tests.support.tls_proxy import make_certificates

LOGS = ROOT / ".local" / "test-logs" / "smtp-relay"
SENDER = "leadrelay <alerts@relay.example.com>"


@pytest.fixture(scope="module")
def relay() -> Iterator[tuple[int, str, str]]:
    """(SMTP port, HTTP base of the stand-in's record, the CA file)."""
    ca, cert, key = make_certificates(LOGS / "tls")
    smtp_port, http_port = free_port(), free_port()
    argv = [
        *(PYTHON, "-m", "standins.smtp", "--smtp-port", str(smtp_port), "--http-port", str(http_port)),
        *("--tls-cert", str(cert), "--tls-key", str(key), "--username", "apikey", "--password", "relay-secret"),
    ]
    proc = Proc("smtp-relay", argv, {}, LOGS / "smtp.log").start()
    proc.wait_ready(f"http://127.0.0.1:{http_port}/_standin/messages")
    try:
        yield smtp_port, f"http://127.0.0.1:{http_port}", str(ca)
    finally:
        proc.stop()


def received(base: str) -> list[dict[str, Any]]:
    return list(httpx.get(f"{base}/_standin/messages").json())


async def test_only_starttls_with_the_relays_ca_and_a_login_gets_through(relay: tuple[int, str, str]) -> None:
    port, base, ca = relay

    def email(starttls: bool, ca_file: str | None, password: str = "relay-secret") -> SmtpEmail:
        return SmtpEmail("127.0.0.1", port, SENDER, "apikey", password, starttls, ca_file)

    refusals = {}
    for name, channel in {
        "plain": email(False, ca),
        "untrusted": email(True, None),
        "wrong password": email(True, ca, "guess"),
    }.items():
        with pytest.raises(DeliveryError) as refused:
            await channel.send_text("erin@example.com", "x", "y", channel.message_id(f"refused-{name}"))
        refusals[name] = str(refused.value)
    assert not received(base), "a refused send records nothing"
    assert "530" in refusals["plain"] or "STARTTLS" in refusals["plain"], refusals
    assert "certificate" in refusals["untrusted"].lower(), refusals
    assert "535" in refusals["wrong password"], refusals

    good = email(True, ca)
    sent = await good.send_text("erin@example.com", "Digest", "3 leads wait", good.message_id("digest-7"))
    [message] = received(base)
    assert sent == "<digest-7@relay.example.com>" == message["message_id"]
    assert message["tls"] is True and message["login"] == "apikey"
    assert message["headers"]["Date"] and message["rcpt_tos"] == ["erin@example.com"]
