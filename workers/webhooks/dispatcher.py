"""The dispatcher: sends due deliveries from the database, records each attempt, retries.

`python -m workers.webhooks.dispatcher`. The database is the schedule: a delivery is due
when `next_attempt_at` has passed. Claiming one moves that time past the send's timeout (a
lease), so a dispatcher that dies mid-send leaves it due again soon: at least once. Sends
run on a thread pool of their own; an endpoint has at most `per_endpoint_batch` sends in
flight, so a slow or dead receiver holds a few threads for at most the timeout, never the
others' deliveries, and nothing of the platform waits on any of it.
"""

from __future__ import annotations

import logging
import signal
import threading
import uuid
from collections import Counter
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import FrameType

import sqlalchemy as sa

from api.webhooks.config import WebhooksSettings
from api.webhooks.domain import retry_delay
from api.webhooks.models import Attempt, Delivery, Endpoint
from common.clock import Clock, SystemClock
from common.db import Database
from common.http.health import database_check
from common.logging import configure_logging
from workers.health_server import heartbeat, serve_worker_health
from workers.webhooks.sender import Message, Outcome, send

log = logging.getLogger(__name__)
LEASE_MARGIN = timedelta(seconds=30)

_CLAIM = sa.text(
    """
    WITH ranked AS (
        SELECT id, next_attempt_at,
               row_number() OVER (PARTITION BY endpoint_id ORDER BY next_attempt_at) AS place
        FROM webhook_deliveries
        WHERE status = 'pending' AND next_attempt_at <= :now
          AND NOT (endpoint_id = ANY(CAST(:busy AS uuid[])))
    ), due AS (
        SELECT id FROM ranked WHERE place <= :per_endpoint ORDER BY next_attempt_at LIMIT :limit
    )
    UPDATE webhook_deliveries AS d
    SET next_attempt_at = :lease_until, updated_at = :now
    FROM due
    WHERE d.id = due.id AND d.status = 'pending' AND d.next_attempt_at <= :now
    RETURNING d.id, d.endpoint_id
    """
)


@dataclass(frozen=True)
class Claimed:
    """A delivery this dispatcher now sends."""

    id: uuid.UUID
    endpoint_id: uuid.UUID
    message: Message


class Dispatcher:
    """Claims due deliveries, sends them on its threads and records what happened."""

    def __init__(self, db: Database, settings: WebhooksSettings, clock: Clock) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock

    def claim(self, limit: int, busy: Counter[uuid.UUID] | None = None) -> list[Claimed]:
        """Up to `limit` due deliveries, leased to this dispatcher."""
        busy = busy or Counter()
        full = [str(e) for e, n in busy.items() if n >= self.settings.per_endpoint_batch]
        now = self.clock.now()
        lease_until = now + timedelta(seconds=self.settings.timeout_seconds) + LEASE_MARGIN
        with self.db.transaction() as session:
            rows = session.execute(
                _CLAIM,
                {
                    "now": now,
                    "lease_until": lease_until,
                    "limit": limit,
                    "per_endpoint": self.settings.per_endpoint_batch,
                    "busy": full,
                },
            ).all()
            if not rows:
                return []
            deliveries = {
                d.id: d
                for d in session.scalars(
                    sa.select(Delivery).where(Delivery.id.in_([row.id for row in rows]))
                )
            }
            endpoints = {
                e.id: e
                for e in session.scalars(
                    sa.select(Endpoint).where(Endpoint.id.in_({row.endpoint_id for row in rows}))
                )
            }
        return [
            Claimed(
                row.id,
                row.endpoint_id,
                _message(endpoints[row.endpoint_id], deliveries[row.id], now),
            )
            for row in rows
        ]

    def deliver(self, claimed: Claimed) -> Outcome:
        """Send one claimed delivery and record the attempt."""
        outcome = send(
            claimed.message,
            timeout=self.settings.timeout_seconds,
            allow_private=self.settings.allow_private_targets,
            require_https=self.settings.require_https,
        )
        self.record(claimed.id, outcome)
        return outcome

    def record(self, delivery_id: uuid.UUID, outcome: Outcome) -> None:
        """The attempt in the log; the delivery done, failed for good, or due again later."""
        now = self.clock.now()
        with self.db.transaction() as session:
            delivery = session.get(Delivery, delivery_id, with_for_update=True)
            if delivery is None:
                return  # its endpoint was deleted meanwhile
            session.add(
                Attempt(
                    delivery_id=delivery_id,
                    attempted_at=now,
                    status_code=outcome.status_code,
                    error=outcome.error,
                    duration_ms=outcome.duration_ms,
                )
            )
            delivery.attempts += 1
            delivery.last_status_code, delivery.last_error = outcome.status_code, outcome.error
            delivery.updated_at = now
            if outcome.delivered:
                delivery.status, delivery.delivered_at = "succeeded", now
                return
            retry_at = now + retry_delay(delivery.attempts, self.settings.retry_base)
            if retry_at > delivery.give_up_at:
                delivery.status = "failed"
            else:
                delivery.next_attempt_at = retry_at

    def run_once(self) -> int:
        """Claim and send what is due now, waiting for every send (tests and one-shot use)."""
        claimed = self.claim(self.settings.threads * 4)
        with ThreadPoolExecutor(self.settings.threads) as pool:
            list(pool.map(self.deliver, claimed))
        return len(claimed)

    def run(self, stop: threading.Event) -> None:
        """Keep the threads busy with due deliveries until `stop`; finish the sends in flight."""
        in_flight: dict[Future[Outcome], uuid.UUID] = {}
        with ThreadPoolExecutor(self.settings.threads, thread_name_prefix="webhook") as pool:
            while not stop.is_set():
                heartbeat.beat()
                free = self.settings.threads - len(in_flight)
                if free > 0:
                    try:
                        for claimed in self.claim(free, Counter(in_flight.values())):
                            in_flight[pool.submit(self.deliver, claimed)] = claimed.endpoint_id
                    except sa.exc.SQLAlchemyError:
                        log.exception("claiming deliveries failed; trying again")
                if in_flight:
                    finished, _ = wait(
                        in_flight, timeout=self.settings.poll_seconds, return_when=FIRST_COMPLETED
                    )
                    for future in finished:
                        in_flight.pop(future)
                        if future.exception() is not None:
                            log.error("delivery failed", exc_info=future.exception())
                else:
                    stop.wait(self.settings.poll_seconds)


def _message(endpoint: Endpoint, delivery: Delivery, now: datetime) -> Message:
    secrets = [endpoint.secret]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires is not None and expires > now:
        secrets.append(endpoint.previous_secret)
    return Message(
        url=endpoint.url,
        event_id=str(delivery.event_id),
        event_type=delivery.event_type,
        body=delivery.payload.encode(),
        secrets=tuple(secrets),
    )


def main() -> int:
    """Send deliveries until SIGTERM/SIGINT."""
    settings = WebhooksSettings.from_env()
    configure_logging("webhooks-dispatcher", settings.service.log_level)
    db = Database.from_url(settings.service.database_url)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    health = serve_worker_health("webhooks-dispatcher", {"database": database_check(db.engine)})
    log.info("webhook dispatcher starting", extra={"threads": settings.threads})
    try:
        Dispatcher(db, settings, SystemClock()).run(stop)
    finally:
        if health is not None:
            health.close()
        db.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
