"""Where a webhook may be delivered: only to global addresses. A subscription's URL is checked when it
is created (its host written as an address in any form inet_aton accepts: 2130706433, 0x7f000001,
127.1, 0), and the name it gives is resolved again at every delivery, refused if any address it
resolves to is not global, and pinned for that request (no second lookup a rebinding DNS could
answer differently). Not global: loopback, private, link-local, carrier-grade NAT (100.64.0.0/10,
where cloud metadata services live), multicast, unspecified, reserved, and IPv4-mapped IPv6 forms
of any of these."""

import asyncio
import ipaddress
import socket
from ipaddress import IPv4Address, IPv6Address

Address = IPv4Address | IPv6Address
CGNAT = ipaddress.ip_network("100.64.0.0/10")
LOCAL_NAMES = ("localhost", "localhost.localdomain")


class Refused(Exception):
    """The destination is not a global address."""


def non_global(address: Address) -> str | None:
    """Why this address may not receive a webhook, or None if it may."""
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    checks = (
        ("loopback", address.is_loopback),
        ("unspecified", address.is_unspecified),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("carrier-grade NAT", isinstance(address, IPv4Address) and address in CGNAT),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
    )
    for name, hit in checks:
        if hit:
            return f"{address} is a {name} address"
    return None if address.is_global else f"{address} is not a global address"


def literal_address(host: str) -> Address | None:
    """The address a host names by itself, in any notation a resolver accepts; None for a name."""
    bare = host.strip("[]")
    try:
        return ipaddress.ip_address(bare)
    except ValueError:
        pass
    try:
        return IPv4Address(socket.inet_aton(bare))
    except OSError:
        return None


def refused_host(host: str) -> str | None:
    """Checked when a subscription is created: a local name, or a host written as a non-global address."""
    lowered = host.lower().rstrip(".")
    if lowered in LOCAL_NAMES or lowered.endswith(".localhost"):
        return f"{host} is this machine"
    address = literal_address(host)
    return non_global(address) if address is not None else None


async def resolve_global(host: str, port: int) -> str:
    """The address to connect to for this delivery: every address the name resolves to must be global
    (so a rebinding answer with one private address among public ones is refused too)."""
    address = literal_address(host)
    if address is not None:
        candidates = [address]
    else:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise Refused(f"{host} does not resolve") from exc
        candidates = [ipaddress.ip_address(info[4][0]) for info in infos]
    for candidate in candidates:
        if (reason := non_global(candidate)) is not None:
            raise Refused(reason)
    if not candidates:
        raise Refused(f"{host} does not resolve")
    return str(candidates[0])
