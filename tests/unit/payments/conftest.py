"""The fixtures of tests/integration/payments, for this tier's tests of the same area."""

from tests.integration.payments.conftest import (
    app,
    auth,
    client,
    clock,
    db,
    deliver,
    dramatiq_namespace,
    make_app,
    new_order,
    payments_env,
    served,
    standin,
    start_worker,
    worker,
)

__all__ = [
    "app",
    "auth",
    "client",
    "clock",
    "db",
    "deliver",
    "dramatiq_namespace",
    "make_app",
    "new_order",
    "payments_env",
    "served",
    "standin",
    "start_worker",
    "worker",
]
