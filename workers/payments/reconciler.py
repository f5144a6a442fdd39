"""The payments reconciler process (`python -m workers.payments.reconciler`): lost steps re-sent."""

from __future__ import annotations

import logging
import signal
import threading

from api.payments.components import Payments, build_payments
from api.payments.config import PaymentsSettings
from api.payments.followups import BrokerDispatcher
from api.payments.oversight import stuck_payments
from api.payments.reconciliation import Reconciled, reconcile_payments
from common.http.health import database_check, redis_check
from common.logging import configure_logging
from workers.broker import broker
from workers.health_collectors import stuck_runs_collector
from workers.health_server import heartbeat, serve_worker_health

__all__ = ["Reconciled", "main", "reconcile_payments", "run"]

log = logging.getLogger(__name__)


def run(payments: Payments, stop: threading.Event) -> None:
    """Reconcile now and then every interval, until `stop` is set."""
    while not stop.is_set():
        heartbeat.beat()
        try:
            found = payments.reconcile()
        except Exception:  # the loop outlives a database hiccup; the next pass retries
            log.exception("reconciliation failed")
        else:
            if found.charges or found.refunds:
                log.warning(
                    "re-sent lost payment steps",
                    extra={
                        "charges": [str(i) for i in found.charges],
                        "refunds": [str(i) for i in found.refunds],
                    },
                )
        stop.wait(payments.settings.reconcile_interval_seconds)


def stuck_payment_counts(payments: Payments) -> dict[str, int]:
    """Charges pending and refunds owed past PAYMENTS_STUCK_AFTER_SECONDS, by kind."""
    counts = {"charge_pending": 0, "refund_owed": 0}
    with payments.db.transaction() as session:
        now = payments.clock.now()
        for stuck in stuck_payments(session, now, payments.settings.stuck_after_seconds):
            counts[stuck.kind] += 1
    return counts


def main() -> int:
    """Run until SIGTERM or SIGINT; the pass in hand finishes first."""
    settings = PaymentsSettings.from_env()
    configure_logging("payments-reconciler", settings.service.log_level)
    payments = build_payments(settings, BrokerDispatcher(broker))
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    health = serve_worker_health(
        "payments-reconciler",
        {
            "database": database_check(payments.db.engine),
            "redis": redis_check(settings.service.redis_url),
        },
        [stuck_runs_collector(lambda: stuck_payment_counts(payments))],
    )
    log.info("reconciler starting")
    try:
        run(payments, stop)
    finally:
        if health is not None:
            health.close()
        payments.close()
    log.info("reconciler stopped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
