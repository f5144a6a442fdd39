"""The expiry sweep: `python -m workers.orders.sweep` cancels unpaid orders past their expiry.

The orders database is the source of truth. The delayed expire_order message normally
cancels an order on time, but Redis keeps nothing on disk and a killed worker's messages
may come back late: every EXPIRATION_SWEEP_SECONDS this process cancels, in batches, every
unpaid order whose expiresAt has passed, through the same conditional transition (so a
sweep racing another sweep or the expiration handler never cancels an order twice).
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from types import FrameType

from sqlalchemy.exc import InterfaceError, OperationalError

from api.orders.config import OrdersSettings
from api.orders.reactions import expire_overdue
from common.clock import Clock, SystemClock
from common.config import Env
from common.db import Database
from common.errors import ConfigurationError
from common.logging import configure_logging

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SweepSettings:
    """How often the sweep runs and how many orders one transaction cancels."""

    interval_seconds: float = 2.0
    batch_size: int = 500

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SweepSettings:
        env = Env(environ)
        raw = env.str("EXPIRATION_SWEEP_SECONDS", "2")
        try:
            interval = float(raw)
        except ValueError as exc:
            raise ConfigurationError(f"EXPIRATION_SWEEP_SECONDS must be seconds: {raw!r}") from exc
        settings = cls(interval, env.int("EXPIRATION_SWEEP_BATCH", 500))
        if not 0 < settings.interval_seconds <= 3600 or settings.batch_size < 1:
            raise ConfigurationError(
                "EXPIRATION_SWEEP_SECONDS must be in (0, 3600] and EXPIRATION_SWEEP_BATCH >= 1"
            )
        return settings


def sweep_once(db: Database, clock: Clock, batch_size: int) -> int:
    """Cancel every overdue unpaid order, one batch per transaction; how many were cancelled."""
    total = 0
    while True:
        with db.transaction() as session:
            cancelled = len(expire_overdue(session, clock, batch_size))
        total += cancelled
        if cancelled < batch_size:
            return total


def run_sweep(db: Database, clock: Clock, settings: SweepSettings, stop: threading.Event) -> None:
    """Sweep every interval until `stop` is set; the batch in hand is committed first."""
    while not stop.is_set():
        try:
            cancelled = sweep_once(db, clock, settings.batch_size)
        except (OperationalError, InterfaceError) as exc:
            log.warning("sweep skipped, database unavailable: %s", exc)
        else:
            if cancelled:
                log.info("sweep cancelled %d overdue orders", cancelled)
        stop.wait(settings.interval_seconds)


def main() -> int:
    """Sweep the orders database until SIGTERM/SIGINT."""
    service = OrdersSettings.from_env().service
    settings = SweepSettings.from_env()
    configure_logging("orders-sweep", service.log_level)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    db = Database.from_url(service.database_url)
    log.info("sweep starting", extra={"intervalSeconds": settings.interval_seconds})
    try:
        run_sweep(db, SystemClock(), settings, stop)
    finally:
        db.dispose()
    log.info("sweep stopped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
