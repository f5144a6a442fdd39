"""Prometheus metrics of the purchase saga, in one registry every process exposes on /metrics.

Counts are taken when the transaction that records them commits, so a rolled-back step is
not counted. HTTP services serve this registry beside their request metrics; workers serve it
from workers.health_server.
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from sqlalchemy import event
from sqlalchemy.orm import Session

REGISTRY = CollectorRegistry()

SAGA_STEPS = Counter(
    "ticketing_saga_steps_total",
    "Saga steps recorded on orders' timelines, by step and outcome",
    ["step", "outcome"],
    registry=REGISTRY,
)
COMPENSATIONS = Counter(
    "ticketing_saga_compensations_total",
    "Compensations carried out (refunds), by compensation and reason",
    ["compensation", "reason"],
    registry=REGISTRY,
)
EXPIRY_LATENESS = Histogram(
    "ticketing_saga_expiry_lateness_seconds",
    "How long after its expiresAt an unpaid order was cancelled, by what cancelled it",
    ["trigger"],
    buckets=(0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 30.0, 60.0, 300.0),
    registry=REGISTRY,
)
DEAD_LETTERS = Counter(
    "ticketing_dead_letters_total",
    "Events a consumer gave up on and dead-lettered",
    ["service", "event_type"],
    registry=REGISTRY,
)
CONSUMER_LAG = Gauge(
    "ticketing_consumer_lag_messages",
    "Messages of a durable JetStream consumer not yet delivered (num_pending)",
    ["stream", "durable"],
    registry=REGISTRY,
)
CONSUMER_ACK_PENDING = Gauge(
    "ticketing_consumer_ack_pending_messages",
    "Messages of a durable JetStream consumer delivered but not yet acknowledged",
    ["stream", "durable"],
    registry=REGISTRY,
)

_PENDING = "ticketing_metrics_pending"


def on_commit(session: Session, count: Callable[[], None]) -> None:
    """Run `count` once the session's transaction commits; forget it if it rolls back."""
    pending: list[Callable[[], None]] | None = session.info.get(_PENDING)
    if pending is None:
        pending = session.info[_PENDING] = []
        event.listen(session, "after_commit", _flush)
        event.listen(session, "after_rollback", _forget)
    pending.append(count)


def _flush(session: Session) -> None:
    for count in session.info.pop(_PENDING, []):
        count()
    session.info[_PENDING] = []


def _forget(session: Session) -> None:
    session.info[_PENDING] = []
