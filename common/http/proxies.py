"""The client's address behind trusted proxies only (X-Forwarded-* from anyone else is ignored)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(text: str) -> tuple[Network, ...]:
    """A comma-separated list of addresses or CIDR blocks; ValueError names a bad one."""
    networks = []
    for item in text.split(","):
        item = item.strip()
        if item:
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError as exc:
                raise ValueError(f"not an address or CIDR block: {item!r}") from exc
    return tuple(networks)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def trusts(networks: Iterable[Network], text: str) -> bool:
    """Whether the address is one of the trusted proxies."""
    address = _address(text)
    return address is not None and any(address in network for network in networks)


def client_address(remote: str, forwarded_for: str, trusted: Iterable[Network]) -> str:
    """Walk X-Forwarded-For from the right while each hop is a trusted proxy.

    The first hop that is not a trusted proxy is the client: everything left of it was
    written by the client itself and proves nothing.
    """
    networks = tuple(trusted)
    if not trusts(networks, remote):
        return remote
    client = remote
    for hop in reversed([part.strip() for part in forwarded_for.split(",") if part.strip()]):
        if _address(hop) is None:
            break  # a trusted proxy passed on garbage: keep the last address we can vouch for
        client = hop
        if not trusts(networks, hop):
            break
    return client


class TrustedProxies:
    """WSGI middleware: REMOTE_ADDR, scheme and host as the trusted proxies saw them."""

    def __init__(self, app: WSGIApplication, trusted: Iterable[Network]) -> None:
        self.app = app
        self.trusted = tuple(trusted)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Any:
        remote = environ.get("REMOTE_ADDR", "")
        if trusts(self.trusted, remote):
            forwarded_for = environ.get("HTTP_X_FORWARDED_FOR", "")
            environ["REMOTE_ADDR"] = client_address(remote, forwarded_for, self.trusted)
            proto = _last(environ.get("HTTP_X_FORWARDED_PROTO", ""))
            host = _last(environ.get("HTTP_X_FORWARDED_HOST", ""))
            if proto in {"http", "https"}:
                environ["wsgi.url_scheme"] = proto
            if host:
                environ["HTTP_HOST"] = host
        return self.app(environ, start_response)


def _last(header: str) -> str:
    parts = [part.strip() for part in header.split(",") if part.strip()]
    return parts[-1] if parts else ""
