"""The payments service's consumer process: `python -m workers.payments.consumer`."""

from __future__ import annotations

from api.payments.config import PaymentsSettings
from api.payments.models import OUTBOX
from common.db import Database
from workers.consumers import run_consumer
from workers.payments.handlers import HANDLERS


def main() -> int:
    """Keep the orders replica of the payments database up to date until SIGTERM."""
    settings = PaymentsSettings.from_env().service
    db = Database.from_url(settings.database_url)
    try:
        run_consumer("payments", db, OUTBOX, HANDLERS, settings)
    finally:
        db.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
