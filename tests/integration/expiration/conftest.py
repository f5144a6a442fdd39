"""The fixtures of tests/e2e/expiration, for this tier's tests of the same area."""

from tests.e2e.expiration.conftest import (
    auth,
    db,
    dramatiq_broker,
    dramatiq_worker,
    events,
    expiration_settings,
    live_client,
    live_env,
    orders_consumer,
    orders_env,
    orders_relay,
    place_order,
    scheduler,
    seed_ticket,
)

__all__ = [
    "auth",
    "db",
    "dramatiq_broker",
    "dramatiq_worker",
    "events",
    "expiration_settings",
    "live_client",
    "live_env",
    "orders_consumer",
    "orders_env",
    "orders_relay",
    "place_order",
    "scheduler",
    "seed_ticket",
]
