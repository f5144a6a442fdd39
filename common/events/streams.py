"""JetStream layout: settings, subjects, the stream and durable consumers (made idempotently)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from nats.js import JetStreamContext
from nats.js.api import (
    AckPolicy,
    ConsumerConfig,
    DeliverPolicy,
    RetentionPolicy,
    StorageType,
    StreamConfig,
)
from nats.js.errors import BadRequestError, NotFoundError

from common.config import Env
from common.errors import ConfigurationError


def _floats(name: str, raw: str) -> tuple[float, ...]:
    try:
        values = tuple(float(part) for part in raw.split(",") if part.strip())
    except ValueError as exc:
        raise ConfigurationError(f"{name} must be comma-separated seconds, got {raw!r}") from exc
    if not values or any(value < 0 for value in values):
        raise ConfigurationError(f"{name} needs at least one non-negative number of seconds")
    return values


@dataclass(frozen=True)
class EventSettings:
    """Where events travel and how hard consumers try before dead-lettering."""

    stream: str = "TICKETING"
    subject_prefix: str = "ticketing"
    # An event ahead of its predecessor waits with the same budget, and a crashed consumer's
    # message only returns after the ack wait: keep the budget (~4 min) well above it.
    max_deliver: int = 10
    retry_delays: tuple[float, ...] = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
    ack_wait_seconds: float = 30.0
    duplicate_window_seconds: float = 120.0
    max_age_seconds: float = 7 * 24 * 3600.0
    # Messages a consumer fetches at once and handles in one transaction when it can: one
    # when idle (no added latency), up to this many when it is behind.
    fetch_batch: int = 64

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> EventSettings:
        env = Env(environ)
        settings = cls(
            stream=env.str("EVENTS_STREAM", "TICKETING"),
            subject_prefix=env.str("EVENTS_SUBJECT_PREFIX", "ticketing"),
            max_deliver=env.int("EVENTS_MAX_DELIVER", 10),
            retry_delays=_floats(
                "EVENTS_RETRY_DELAYS", env.str("EVENTS_RETRY_DELAYS", "0.5,1,2,5,10,30,60")
            ),
            ack_wait_seconds=float(env.int("EVENTS_ACK_WAIT_SECONDS", 30)),
            duplicate_window_seconds=float(env.int("EVENTS_DUPLICATE_WINDOW_SECONDS", 120)),
            max_age_seconds=float(env.int("EVENTS_MAX_AGE_DAYS", 7) * 24 * 3600),
            fetch_batch=env.int("EVENTS_FETCH_BATCH", 64),
        )
        if settings.max_deliver < 1:
            raise ConfigurationError("EVENTS_MAX_DELIVER must be >= 1")
        if settings.fetch_batch < 1:
            raise ConfigurationError("EVENTS_FETCH_BATCH must be >= 1")
        return settings

    def subject(self, event_type: str) -> str:
        """The subject an event type is published on, e.g. ticketing.tickets.created."""
        return f"{self.subject_prefix}.{event_type}"

    def retry_delay(self, deliveries: int) -> float:
        """Seconds to wait before the next delivery after `deliveries` failed ones."""
        return self.retry_delays[min(max(deliveries, 1), len(self.retry_delays)) - 1]


def durable_name(service: str, event_type: str) -> str:
    """The durable consumer a service's replicas share for one event type."""
    return f"{service}-{event_type.replace('.', '-')}"


def stream_config(settings: EventSettings) -> StreamConfig:
    """File-backed stream of every event subject, deduplicating by Nats-Msg-Id."""
    return StreamConfig(
        name=settings.stream,
        subjects=[f"{settings.subject_prefix}.>"],
        retention=RetentionPolicy.LIMITS,
        storage=StorageType.FILE,
        max_age=settings.max_age_seconds,
        duplicate_window=settings.duplicate_window_seconds,
    )


def consumer_config(settings: EventSettings, service: str, event_type: str) -> ConsumerConfig:
    """Durable pull consumer with explicit ack and a bounded number of deliveries."""
    return ConsumerConfig(
        durable_name=durable_name(service, event_type),
        filter_subject=settings.subject(event_type),
        deliver_policy=DeliverPolicy.ALL,
        ack_policy=AckPolicy.EXPLICIT,
        ack_wait=settings.ack_wait_seconds,
        # One spare delivery: a consumer that dies while dead-lettering the last attempt
        # gets the message once more and dead-letters it then (the insert is idempotent).
        max_deliver=settings.max_deliver + 1,
        max_ack_pending=1000,
    )


async def ensure_stream(js: JetStreamContext, settings: EventSettings) -> None:
    """Create the events stream, or bring an existing one to this configuration."""
    config = stream_config(settings)
    try:
        await js.stream_info(settings.stream)
    except NotFoundError:
        try:
            await js.add_stream(config)
            return
        except BadRequestError:
            pass  # another process created it meanwhile: fall through to update
    await js.update_stream(config)


async def ensure_consumer(
    js: JetStreamContext, settings: EventSettings, service: str, event_type: str
) -> str:
    """Create (or update) the durable consumer of a service for one event type; its name."""
    config = consumer_config(settings, service, event_type)
    await js.add_consumer(settings.stream, config)
    return durable_name(service, event_type)
