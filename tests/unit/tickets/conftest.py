"""The fixtures of tests/integration/tickets, for this tier's tests of the same area."""

from tests.integration.tickets.conftest import (
    app,
    client,
    create_ticket,
    db,
    make_user,
    seller,
    tickets_env,
)

__all__ = [
    "app",
    "client",
    "create_ticket",
    "db",
    "make_user",
    "seller",
    "tickets_env",
]
