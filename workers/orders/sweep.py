"""The expiry sweep: `python -m workers.orders.sweep` cancels unpaid orders past their expiry.

The orders database is the source of truth. The delayed expire_order message normally
cancels an order on time, but Redis keeps nothing on disk and a killed worker's messages
may come back late: every EXPIRATION_SWEEP_SECONDS this process cancels, in batches, every
unpaid order whose expiresAt has passed, through the same conditional transition (so a
sweep racing another sweep or the expiration handler never cancels an order twice), and
sweeps again every EXPIRATION_SWEEP_BUSY_SECONDS for as long as it finds overdue orders.
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
from api.orders.runs import count_stuck
from common.clock import Clock, SystemClock
from common.config import Env
from common.db import Database
from common.errors import ConfigurationError
from common.http.health import database_check
from common.logging import configure_logging
from workers.health_collectors import stuck_runs_collector
from workers.health_server import heartbeat, serve_worker_health

log = logging.getLogger(__name__)


def _seconds(env: Env, name: str, default: str) -> float:
    raw = env.str(name, default)
    try:
        seconds = float(raw)
    except ValueError as exc:
        raise ConfigurationError(f"{name} must be a number of seconds, got {raw!r}") from exc
    if not 0 < seconds <= 3600:
        raise ConfigurationError(f"{name} must be more than 0 and at most 3600 seconds")
    return seconds


@dataclass(frozen=True)
class SweepSettings:
    """How often the sweep runs (idle, and while it finds work) and its transaction size."""

    interval_seconds: float = 2.0
    batch_size: int = 500
    busy_interval_seconds: float = 0.25

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SweepSettings:
        env = Env(environ)
        settings = cls(
            interval_seconds=_seconds(env, "EXPIRATION_SWEEP_SECONDS", "2"),
            batch_size=env.int("EXPIRATION_SWEEP_BATCH", 500),
            busy_interval_seconds=_seconds(env, "EXPIRATION_SWEEP_BUSY_SECONDS", "0.25"),
        )
        if settings.batch_size < 1:
            raise ConfigurationError("EXPIRATION_SWEEP_BATCH must be at least 1")
        return settings

    def pause_after(self, cancelled: int) -> float:
        """The wait before the next sweep: shorter while sweeps find work to do.

        A sweep that cancels something means the expiry messages are behind (a burst of
        expiries) or lost: the next sweeps come quickly until one finds nothing again.
        """
        if cancelled:
            return min(self.busy_interval_seconds, self.interval_seconds)
        return self.interval_seconds


def sweep_once(
    db: Database, clock: Clock, batch_size: int, stop: threading.Event | None = None
) -> int:
    """Cancel every overdue unpaid order, one batch per transaction; how many were cancelled."""
    total = 0
    while True:
        with db.transaction() as session:
            cancelled = len(expire_overdue(session, clock, batch_size))
        total += cancelled
        if cancelled < batch_size or (stop is not None and stop.is_set()):
            return total


def run_sweep(db: Database, clock: Clock, settings: SweepSettings, stop: threading.Event) -> None:
    """Sweep every interval until `stop` is set; the batch in hand is committed first."""
    while not stop.is_set():
        heartbeat.beat()
        cancelled = 0
        try:
            cancelled = sweep_once(db, clock, settings.batch_size, stop)
        except (OperationalError, InterfaceError) as exc:
            log.warning("sweep skipped, database unavailable: %s", exc)
        if cancelled:
            log.info("sweep cancelled %d overdue orders", cancelled)
        stop.wait(settings.pause_after(cancelled))


def stuck_orders(db: Database, clock: Clock) -> dict[str, int]:
    """Unpaid orders past their expiry and the grace, for the stuck-runs gauge."""
    with db.transaction() as session:
        return {"unpaid_past_expiry": count_stuck(session, clock.now())}


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
    health = serve_worker_health(
        "orders-sweep",
        {"database": database_check(db.engine)},
        [stuck_runs_collector(lambda: stuck_orders(db, SystemClock()))],
    )
    log.info("sweep starting", extra={"intervalSeconds": settings.interval_seconds})
    try:
        run_sweep(db, SystemClock(), settings, stop)
    finally:
        if health is not None:
            health.close()
        db.dispose()
    log.info("sweep stopped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
