"""Which URLs a webhook may call: server-side request forgery protection.

A URL must be http(s). Its host is resolved once; every address it resolves
to must be public (not loopback, private, link-local, multicast, reserved,
unspecified, CGNAT 100.64/10 or IPv6 unique-local — nor an IPv4-mapped,
6to4 or NAT64 wrapping of one) unless it lies in an allow-listed network.
The caller then connects to the vetted address itself (see ``sender``), so a
DNS answer that changes between the check and the connection cannot redirect
the request (DNS rebinding).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_CGNAT = ipaddress.ip_network("100.64.0.0/10")


class UnsafeURL(ValueError):
    """The URL may not be called; the message says why, for the API client."""


@dataclass(frozen=True)
class Target:
    scheme: str
    hostname: str
    port: int
    address: str


def _embedded(address: Address) -> list[Address]:
    """The address itself plus any IPv4 address an IPv6 form carries."""
    found: list[Address] = [address]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            found.append(address.ipv4_mapped)
        if address.sixtofour is not None:
            found.append(address.sixtofour)
        if address.teredo is not None:
            found.extend(address.teredo)
        if address in _NAT64:
            found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return found


def _forbidden(address: Address) -> bool:
    return (not address.is_global or address.is_multicast or address.is_reserved
            or address.is_unspecified or address in _CGNAT)


def is_allowed(address: Address, allowed: Sequence[Network]) -> bool:
    forms = _embedded(address)
    if any(form in network for form in forms for network in allowed
           if form.version == network.version):
        return True
    return not any(_forbidden(form) for form in forms)


def _split(url: str) -> tuple[str, str, int]:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeURL(f"The URL is malformed: {exc}.") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise UnsafeURL("Only http:// and https:// URLs can receive webhooks.")
    if not parts.hostname:
        raise UnsafeURL("The URL has no host.")
    return scheme, parts.hostname, port or (443 if scheme == "https" else 80)


def vet(url: str, allowed: Sequence[Network]) -> Target:
    """Resolve ``url``'s host once and return the address to connect to, or raise UnsafeURL."""
    scheme, hostname, port = _split(url)
    try:
        infos = socket.getaddrinfo(hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeURL(f"The host {hostname!r} could not be resolved ({exc}).") from None
    addresses = list(dict.fromkeys(info[4][0].split("%")[0] for info in infos))
    if not addresses:
        raise UnsafeURL(f"The host {hostname!r} has no address.")
    for text in addresses:
        if not is_allowed(ipaddress.ip_address(text), allowed):
            raise UnsafeURL(
                f"The host {hostname!r} resolves to {text}, a private, loopback, link-local, "
                "multicast or reserved address; webhooks may only call public addresses "
                "unless SYNERGY_WEBHOOKS_ALLOWED_NETWORKS lists it.")
    return Target(scheme=scheme, hostname=hostname, port=port, address=addresses[0])
