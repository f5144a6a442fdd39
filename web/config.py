"""Settings of the web front-end beyond the shared ones."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from common.config import Env, ServiceSettings
from common.errors import ConfigurationError

STANDIN_KEY_PREFIX = "sk_test_standin"


@dataclass(frozen=True)
class WebSettings:
    """Where the APIs are (the gateway), how long to wait for them, and how payments look."""

    service: ServiceSettings
    gateway_url: str = "http://127.0.0.1:8080"
    # API_URLS: each API's own address by path prefix (Kubernetes Services), before the gateway.
    api_urls: tuple[tuple[str, str], ...] = ()
    api_connect_timeout_seconds: float = 3.0
    api_read_timeout_seconds: float = 15.0
    page_size: int = 20
    stripe_standin: bool = False

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> WebSettings:
        env = Env(environ)
        gateway_url = env.str("GATEWAY_URL", "http://127.0.0.1:8080").rstrip("/")
        parts = urlsplit(gateway_url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ConfigurationError(f"GATEWAY_URL must be http(s)://host[:port]: {gateway_url!r}")
        api_urls = _api_urls(env.str("API_URLS", ""))
        page_size = env.int("WEB_PAGE_SIZE", 20)
        if not 1 <= page_size <= 100:
            raise ConfigurationError("WEB_PAGE_SIZE must be between 1 and 100")
        stripe_key = env.secret("STRIPE_API_KEY") or ""
        return cls(
            service=ServiceSettings.from_env("web", environ),
            gateway_url=gateway_url,
            api_urls=api_urls,
            api_connect_timeout_seconds=env.int("API_CONNECT_TIMEOUT_MS", 3000) / 1000,
            api_read_timeout_seconds=env.int("API_READ_TIMEOUT_MS", 15000) / 1000,
            page_size=page_size,
            stripe_standin=env.bool("STRIPE_STANDIN", False)
            or stripe_key.startswith(STANDIN_KEY_PREFIX),
        )


def _api_urls(raw: str) -> tuple[tuple[str, str], ...]:
    """`/api/users=http://auth,/api/tickets=http://tickets`: longest prefix first."""
    pairs = []
    for item in filter(None, (part.strip() for part in raw.split(","))):
        prefix, _, url = item.partition("=")
        parts = urlsplit(url)
        if (
            not prefix.startswith("/")
            or parts.scheme not in {"http", "https"}
            or not parts.hostname
        ):
            raise ConfigurationError(
                f"API_URLS takes /prefix=http(s)://host[:port] items: {item!r}"
            )
        pairs.append((prefix.rstrip("/"), url.rstrip("/")))
    return tuple(sorted(pairs, key=lambda pair: len(pair[0]), reverse=True))
