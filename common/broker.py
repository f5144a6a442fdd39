"""The Dramatiq broker on Redis, tuned so a killed worker's messages come back quickly.

Services send messages through it by actor name; workers bind their actors to it
(workers.broker). Creating the broker opens no connection.
"""

from __future__ import annotations

import os

from dramatiq.brokers.redis import RedisBroker

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
# Out of a million broker commands, how many also run maintenance (requeueing the messages of
# workers whose heartbeat stopped). Dramatiq's default (1,000) can leave a dead worker's
# messages waiting for minutes on a quiet queue; 50,000 makes it seconds.
MAINTENANCE_CHANCE = 50_000
HEARTBEAT_TIMEOUT_MS = 15_000


def build_broker(redis_url: str, namespace: str = "ticketing") -> RedisBroker:
    """A Redis broker whose dead workers' messages are requeued within about a minute."""
    return RedisBroker(  # type: ignore[no-untyped-call]  # dramatiq's RedisBroker is untyped
        url=redis_url,
        namespace=namespace,
        heartbeat_timeout=int(
            os.environ.get("DRAMATIQ_HEARTBEAT_TIMEOUT_MS", HEARTBEAT_TIMEOUT_MS)
        ),
        maintenance_chance=MAINTENANCE_CHANCE,
    )


def broker_redis_url() -> str:
    """The Redis the broker uses: DRAMATIQ_REDIS_URL, else REDIS_URL."""
    return os.environ.get("DRAMATIQ_REDIS_URL") or os.environ.get("REDIS_URL", DEFAULT_REDIS_URL)


def broker_namespace() -> str:
    """The prefix of the broker's Redis keys."""
    return os.environ.get("DRAMATIQ_NAMESPACE", "ticketing")


def broker_from_env() -> RedisBroker:
    """The broker DRAMATIQ_REDIS_URL (else REDIS_URL) and DRAMATIQ_NAMESPACE name."""
    return build_broker(broker_redis_url(), broker_namespace())
