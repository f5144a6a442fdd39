"""Which upstream serves which path: API prefixes, the API namespace and the web default."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

API_NAMESPACE = "/api"
# The web's health and metrics: for probes and Prometheus on the pod, never routed.
UNROUTED_PATHS = frozenset({"/metrics", "/healthz", "/readyz"})


@dataclass(frozen=True)
class Upstream:
    """An HTTP server the gateway forwards to."""

    host: str
    port: int

    @classmethod
    def parse(cls, address: str) -> Upstream:
        """Read `host:port` or `http://host:port`."""
        parts = urlsplit(address if "://" in address else f"http://{address}")
        if parts.scheme != "http" or not parts.hostname or parts.port is None:
            raise ValueError(f"an upstream is http://host:port, got {address!r}")
        return cls(parts.hostname, parts.port)

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class Route:
    """Requests under `prefix` (the prefix itself or anything below it) go to `upstream`."""

    prefix: str
    upstream: Upstream

    def matches(self, path: str) -> bool:
        return path == self.prefix or path.startswith(self.prefix + "/")


@dataclass(frozen=True)
class RouteTable:
    """API routes by prefix; other API paths are unknown; everything else goes to the web."""

    routes: Sequence[Route]
    default: Upstream

    def upstream_for(self, path: str) -> Upstream | None:
        """The upstream serving `path`, or None for an API path nobody serves (or unrouted)."""
        for route in self.routes:
            if route.matches(path):
                return route.upstream
        if path == API_NAMESPACE or path.startswith(API_NAMESPACE + "/"):
            return None
        if path in UNROUTED_PATHS:
            return None
        return self.default

    def to_environ(self) -> dict[str, str]:
        """The environment variables `from_environ` reads back."""
        return {
            "GATEWAY_ROUTES": ",".join(
                f"{route.prefix}=http://{route.upstream.address}" for route in self.routes
            ),
            "GATEWAY_DEFAULT_UPSTREAM": f"http://{self.default.address}",
        }

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> RouteTable:
        """Read `GATEWAY_ROUTES=/api/users=http://127.0.0.1:8101,...` and the default upstream."""
        routes = []
        for item in environ.get("GATEWAY_ROUTES", "").split(","):
            if item.strip():
                prefix, _, address = item.strip().partition("=")
                routes.append(Route(prefix.rstrip("/"), Upstream.parse(address)))
        default = environ.get("GATEWAY_DEFAULT_UPSTREAM", "http://127.0.0.1:8100")
        return cls(tuple(routes), Upstream.parse(default))
