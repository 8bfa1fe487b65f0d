"""Which address is the client: ``X-Forwarded-For`` is believed only from trusted proxies."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(entries: Iterable[str]) -> list[Network]:
    return [ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip()]


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def client_ip(remote_addr: str | None, forwarded_for: str | None,
              trusted: list[Network]) -> str | None:
    """Walk ``X-Forwarded-For`` from the right while hops are trusted proxies.

    The right-most untrusted address is the client: anything left of it was
    written by the client itself and may be forged.
    """
    peer = _address(remote_addr or "")
    if peer is None:
        # A unix socket or an empty REMOTE_ADDR: no address is better than a made-up one.
        return None
    if not forwarded_for or not any(peer in net for net in trusted):
        return str(peer)
    hops = [hop for hop in (h.strip() for h in forwarded_for.split(",")) if hop]
    current = peer
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            break
        current = address
        if not any(address in net for net in trusted):
            break
    return str(current)
