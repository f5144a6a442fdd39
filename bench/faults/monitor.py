"""Watches the orders database during the run for unpaid orders past expiresAt + grace."""

from __future__ import annotations

import threading

import sqlalchemy as sa

OVERDUE = sa.text(
    "SELECT id FROM orders WHERE status IN ('created', 'awaiting_payment') "
    "AND expires_at < now() - make_interval(secs => :grace)"
)


class OverdueMonitor(threading.Thread):
    """Every second, remembers each unpaid order seen more than `grace` seconds past its expiry."""

    def __init__(self, database_url: str, grace_seconds: float) -> None:
        super().__init__(name="overdue-monitor", daemon=True)
        self.engine = sa.create_engine(database_url, pool_size=1)
        self.grace_seconds = grace_seconds
        self.seen: set[str] = set()
        self.polls = 0
        self.failures = 0
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(1.0):
            try:
                with self.engine.connect() as connection:
                    found = connection.scalars(OVERDUE, {"grace": self.grace_seconds}).all()
            except sa.exc.SQLAlchemyError:
                self.failures += 1
                continue
            self.polls += 1
            self.seen.update(str(order_id) for order_id in found)

    def stop(self) -> None:
        self.stopped.set()
        self.join(10)
        self.engine.dispose()
