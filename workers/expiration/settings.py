"""What the expiration scheduler and worker read from the environment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from common.config import Env
from common.errors import ConfigurationError
from common.events.streams import EventSettings

SERVICE = "expiration"


@dataclass(frozen=True)
class ExpirationSettings:
    """NATS and the stream to publish on; how the worker holds and fires delayed messages."""

    nats_url: str = "nats://127.0.0.1:4222"
    events: EventSettings = field(default_factory=EventSettings)
    log_level: str = "INFO"
    poll_milliseconds: int = 100
    delay_prefetch: int = 65_535
    publish_timeout_seconds: float = 5.0
    fetch_batch: int = 100

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ExpirationSettings:
        env = Env(environ)
        settings = cls(
            nats_url=env.str("NATS_URL", "nats://127.0.0.1:4222"),
            events=EventSettings.from_env(environ),
            log_level=env.str("LOG_LEVEL", "INFO").upper(),
            poll_milliseconds=env.int("EXPIRATION_POLL_MILLISECONDS", 100),
            delay_prefetch=env.int("EXPIRATION_DELAY_PREFETCH", 65_535),
            publish_timeout_seconds=env.int("EXPIRATION_PUBLISH_TIMEOUT_MILLISECONDS", 5000) / 1000,
            fetch_batch=env.int("EXPIRATION_FETCH_BATCH", 100),
        )
        if settings.poll_milliseconds < 10:
            raise ConfigurationError("EXPIRATION_POLL_MILLISECONDS must be at least 10")
        if not 1 <= settings.delay_prefetch <= 65_535:
            raise ConfigurationError("EXPIRATION_DELAY_PREFETCH must be in [1, 65535]")
        if settings.publish_timeout_seconds <= 0 or settings.fetch_batch < 1:
            raise ConfigurationError(
                "EXPIRATION_PUBLISH_TIMEOUT_MILLISECONDS and EXPIRATION_FETCH_BATCH must be > 0"
            )
        return settings
