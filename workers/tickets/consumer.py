"""The tickets service's consumer process: `python -m workers.tickets.consumer`."""

from __future__ import annotations

from api.tickets.config import TicketsSettings
from api.tickets.models import OUTBOX
from common.db import Database
from workers.consumers import run_consumer
from workers.tickets.handlers import HANDLERS


def main() -> int:
    """Apply orders.created / cancelled / completed to the tickets database until SIGTERM."""
    settings = TicketsSettings.from_env().service
    db = Database.from_url(settings.database_url)
    try:
        run_consumer("tickets", db, OUTBOX, HANDLERS, settings)
    finally:
        db.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
