"""The orders service's consumer process: `python -m workers.orders.consumer`."""

from __future__ import annotations

from api.orders.config import OrdersSettings
from api.orders.models import OUTBOX
from workers.consumers import consumer_process
from workers.orders.handlers import HANDLERS


def main() -> int:
    """Consume tickets, expiration and payments events into the orders database until SIGTERM."""
    settings = OrdersSettings.from_env().service
    return consumer_process("orders", settings, OUTBOX, HANDLERS)


if __name__ == "__main__":
    raise SystemExit(main())
