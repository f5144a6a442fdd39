"""The payments reconciler process (`python -m workers.payments.reconciler`): lost steps re-sent."""

from __future__ import annotations

import logging
import signal
import threading

from api.payments.components import Payments, build_payments
from api.payments.config import PaymentsSettings
from api.payments.followups import BrokerDispatcher
from api.payments.reconciliation import Reconciled, reconcile_payments
from common.logging import configure_logging
from workers.broker import broker

__all__ = ["Reconciled", "main", "reconcile_payments", "run"]

log = logging.getLogger(__name__)


def run(payments: Payments, stop: threading.Event) -> None:
    """Reconcile now and then every interval, until `stop` is set."""
    while not stop.is_set():
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


def main() -> int:
    """Run until SIGTERM or SIGINT; the pass in hand finishes first."""
    settings = PaymentsSettings.from_env()
    configure_logging("payments-reconciler", settings.service.log_level)
    payments = build_payments(settings, BrokerDispatcher(broker))
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    log.info("reconciler starting")
    try:
        run(payments, stop)
    finally:
        payments.close()
    log.info("reconciler stopped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
