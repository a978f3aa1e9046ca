"""Outbound SSRF: which hosts and addresses a webhook may reach, in every notation."""

import pytest

from services.outbound import destinations
from services.outbound.address_guard import Refused, literal_address, refused_host, resolve_global


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "2130706433",  # 127.0.0.1 in decimal
        "0x7f000001",  # in hex
        "127.1",  # short form
        "0",  # 0.0.0.0
        "10.0.0.5",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "100.100.100.200",  # carrier-grade NAT (Alibaba's metadata service lives here)
        "224.0.0.1",  # multicast
        "[::1]",
        "[::ffff:127.0.0.1]",  # IPv4-mapped IPv6
        "[::ffff:169.254.169.254]",
        "[fe80::1]",
        "[::]",
        "localhost",
        "api.localhost",
    ],
)
def test_non_global_hosts_are_refused_in_any_notation(host: str) -> None:
    assert refused_host(host) is not None, host


@pytest.mark.parametrize("host", ["hooks.zapier.com", "93.184.216.34", "[2606:2800:220:1:248:1893:25c8:1946]"])
def test_global_hosts_and_names_pass_the_creation_check(host: str) -> None:
    assert refused_host(host) is None


def test_notations_are_read_as_a_resolver_reads_them() -> None:
    assert str(literal_address("2130706433")) == "127.0.0.1"
    assert str(literal_address("0x7f000001")) == "127.0.0.1"
    assert literal_address("hooks.zapier.com") is None


async def test_a_name_resolving_to_loopback_is_refused_at_delivery() -> None:
    with pytest.raises(Refused, match="loopback"):
        await resolve_global("localhost", 80)


async def test_the_checked_address_is_pinned_with_the_original_host(monkeypatch: pytest.MonkeyPatch) -> None:
    async def resolved(host: str, port: int) -> str:
        assert (host, port) == ("hooks.example.com", 443)
        return "93.184.216.34"

    monkeypatch.setattr(destinations, "resolve_global", resolved)
    webhook = destinations.WebhookDestination(None, 5.0)  # type: ignore[arg-type]
    target, headers, extensions, auth = await webhook._target("https://u:p@hooks.example.com/catch/1?x=2")
    assert target == "https://93.184.216.34:443/catch/1?x=2"
    assert headers == {"host": "hooks.example.com"} and extensions == {"sni_hostname": "hooks.example.com"}
    assert auth is not None


def test_private_urls_are_for_development_only() -> None:
    from services.outbound.config import OutboundSettings

    assert OutboundSettings(allow_private_urls=True, env="production").private_urls_refused()
    assert OutboundSettings(allow_private_urls=True, env="development").private_urls_refused() is None
    assert OutboundSettings(env="production").private_urls_refused() is None
