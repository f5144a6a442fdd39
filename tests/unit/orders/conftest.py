"""The fixtures of tests/integration/orders, for this tier's tests of the same area."""

from tests.integration.orders.conftest import (
    app,
    auth,
    client,
    clock,
    db,
    make_app,
    orders_env,
    outbox,
    seed_ticket,
)

__all__ = [
    "app",
    "auth",
    "client",
    "clock",
    "db",
    "make_app",
    "orders_env",
    "outbox",
    "seed_ticket",
]
