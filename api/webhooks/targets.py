"""Where deliveries may go: public addresses only, checked at registration and at every send.

A hostname is resolved and every address it resolves to is checked; the delivery then
connects to a checked address itself (never re-resolving), so a DNS answer that changes
after registration (or between check and connect) cannot point a delivery at our network.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# Cloud metadata services: refused even where private targets are allowed (dev and tests).
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
)


class TargetRefused(ValueError):
    """The URL is malformed, does not resolve, or points at an address we do not call."""


@dataclass(frozen=True)
class Target:
    """A URL split for sending: scheme, hostname (for Host and TLS), port, path and query."""

    scheme: str
    host: str
    port: int
    path: str

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == default else f"{host}:{self.port}"


def parse_target(url: str, *, require_https: bool) -> Target:
    """Split and check the URL's form (scheme, no credentials, a host)."""
    parts = urlsplit(url.strip())
    allowed = {"https"} if require_https else {"http", "https"}
    if parts.scheme not in allowed:
        raise TargetRefused(f"The URL must start with {' or '.join(sorted(allowed))}://.")
    if parts.username or parts.password:
        raise TargetRefused("The URL must not carry credentials.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise TargetRefused("The URL's port is invalid.") from exc
    if not parts.hostname:
        raise TargetRefused("The URL has no host.")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, parts.hostname, port, path)


def forbidden(address: IpAddress, *, allow_private: bool) -> bool:
    """Whether a delivery must not go to `address`."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address in METADATA_ADDRESSES or address.is_multicast or address.is_unspecified:
        return True
    if allow_private:
        return False
    return not address.is_global


def resolve(target: Target, *, allow_private: bool) -> list[IpAddress]:
    """Every address the host resolves to, all checked; refused if any one is forbidden."""
    try:
        infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise TargetRefused(f"The host {target.host} does not resolve.") from exc
    addresses: list[IpAddress] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if forbidden(address, allow_private=allow_private):
            raise TargetRefused(
                f"The host {target.host} resolves to {address}, which is not a public address."
            )
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise TargetRefused(f"The host {target.host} does not resolve.")
    return addresses
