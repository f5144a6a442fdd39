"""Settings of the webhooks service and its dispatcher."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from common.config import Env, ServiceSettings
from common.errors import ConfigurationError


@dataclass(frozen=True)
class WebhooksSettings:
    """Where deliveries may go, how long a receiver gets, and how retries are spaced."""

    service: ServiceSettings
    # Loopback and private targets: for local development and tests only, never production.
    allow_private_targets: bool = False
    require_https: bool = True
    timeout_seconds: float = 10.0
    retry_base: timedelta = timedelta(seconds=30)
    retry_for: timedelta = timedelta(days=1)
    threads: int = 8
    poll_seconds: float = 0.5
    per_endpoint_batch: int = 2

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> WebhooksSettings:
        env = Env(environ)
        service = ServiceSettings.from_env("webhooks", environ)
        settings = cls(
            service=service,
            allow_private_targets=env.bool("WEBHOOKS_ALLOW_PRIVATE_TARGETS", False),
            require_https=env.bool("WEBHOOKS_REQUIRE_HTTPS", service.production),
            timeout_seconds=env.int("WEBHOOKS_TIMEOUT_MS", 10_000) / 1000,
            retry_base=timedelta(milliseconds=env.int("WEBHOOKS_RETRY_BASE_MS", 30_000)),
            retry_for=timedelta(seconds=env.int("WEBHOOKS_RETRY_FOR_SECONDS", 86_400)),
            threads=env.int("WEBHOOKS_THREADS", 8),
            poll_seconds=env.int("WEBHOOKS_POLL_MS", 500) / 1000,
        )
        if service.production and settings.allow_private_targets:
            raise ConfigurationError(
                "refusing to start in production: WEBHOOKS_ALLOW_PRIVATE_TARGETS is on"
            )
        if not 1 <= settings.threads <= 64:
            raise ConfigurationError("WEBHOOKS_THREADS must be between 1 and 64")
        return settings
