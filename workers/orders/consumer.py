"""The orders service's consumer process: `python -m workers.orders.consumer`."""

from __future__ import annotations

from api.orders.config import OrdersSettings
from api.orders.models import OUTBOX
from common.db import Database
from workers.consumers import run_consumer
from workers.orders.handlers import HANDLERS


def main() -> int:
    """Consume tickets, expiration and payments events into the orders database until SIGTERM."""
    settings = OrdersSettings.from_env().service
    db = Database.from_url(settings.database_url)
    try:
        run_consumer("orders", db, OUTBOX, HANDLERS, settings)
    finally:
        db.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
