"""Saga runs as operators see them: every order, its steps' timings, the runs that are stuck.

A run is one order and its timeline. A step's duration is the time since the run's previous
timeline entry: how long the saga took to get from there to this step (for `charge`, how long
the buyer took to pay; for `complete`, how long the charge took).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Float, and_, cast, func, select
from sqlalchemy.orm import Session

from api.orders.models import ORDER_STEPS, UNPAID, Order, OrderStep
from api.orders.state import UNPAID_STATUSES, OrderStatus

# The sweep cancels an overdue order within seconds; one still unpaid this long after its
# expiry is stuck (its expiry message and every sweep since missed it).
EXPIRY_GRACE_SECONDS = 30.0
MAX_RUNS = 200


@dataclass(frozen=True)
class StepStats:
    """One step over the window: how often it ran, how long it took, how often it failed."""

    step: str
    count: int
    failures: int
    p50_seconds: float | None
    p99_seconds: float | None


@dataclass(frozen=True)
class StuckRun:
    """A run past its step's deadline, and why it counts as stuck."""

    order: Order
    reason: str
    overdue_seconds: float


def runs_by_status(session: Session) -> dict[str, int]:
    """How many runs are in each order status (every status listed, zeros included)."""
    counts = dict(session.execute(select(Order.status, func.count()).group_by(Order.status)).all())
    return {status.value: int(counts.get(status, 0)) for status in OrderStatus}


def list_runs(
    session: Session,
    *,
    status: OrderStatus | None = None,
    since: datetime | None = None,
    limit: int = 50,
) -> list[Order]:
    """Runs newest first, optionally of one status and started since a moment."""
    query = select(Order).order_by(Order.created_at.desc(), Order.id.desc())
    if status is not None:
        query = query.where(Order.status == status)
    if since is not None:
        query = query.where(Order.created_at >= since)
    return list(session.scalars(query.limit(min(limit, MAX_RUNS))))


def step_stats(session: Session, since: datetime) -> list[StepStats]:
    """Per step since `since`: count, failures, p50 and p99 of its duration (seconds)."""
    steps = ORDER_STEPS.c
    previous = func.lag(steps.at).over(partition_by=steps.order_id, order_by=steps.id)
    timed = (
        select(
            steps.step,
            steps.outcome,
            cast(func.extract("epoch", steps.at - previous), Float).label("seconds"),
        )
        .where(steps.order_id.in_(select(Order.id).where(Order.created_at >= since)))
        .subquery()
    )
    rows = session.execute(
        select(
            timed.c.step,
            func.count(),
            func.count().filter(timed.c.outcome == "failed"),
            func.percentile_cont(0.5).within_group(timed.c.seconds),
            func.percentile_cont(0.99).within_group(timed.c.seconds),
        )
        .group_by(timed.c.step)
        .order_by(func.min(timed.c.seconds).nulls_first(), timed.c.step)
    ).all()
    return [
        StepStats(
            step=str(step),
            count=int(count),
            failures=int(failures),
            p50_seconds=None if p50 is None else float(p50),
            p99_seconds=None if p99 is None else float(p99),
        )
        for step, count, failures, p50, p99 in rows
    ]


def stuck_runs(
    session: Session, now: datetime, grace_seconds: float = EXPIRY_GRACE_SECONDS, limit: int = 100
) -> list[StuckRun]:
    """Unpaid runs past their expiry by more than the grace: the expire step missed them."""
    cutoff = now - timedelta(seconds=grace_seconds)
    orders = session.scalars(
        select(Order)
        .where(and_(UNPAID, Order.expires_at <= cutoff))
        .order_by(Order.expires_at)
        .limit(min(limit, MAX_RUNS))
    )
    return [
        StuckRun(order, reason, (now - order.expires_at).total_seconds())
        for order in orders
        if (reason := stuck_reason(order, now, grace_seconds)) is not None
    ]


def stuck_reason(
    order: Order, now: datetime, grace_seconds: float = EXPIRY_GRACE_SECONDS
) -> str | None:
    """Why the run is stuck, or None: unpaid past its expiry by more than the grace."""
    overdue = (now - order.expires_at).total_seconds()
    if order.status not in UNPAID_STATUSES or overdue <= grace_seconds:
        return None
    return (
        f"{order.status.value.replace('_', ' ')} past its expiry ({overdue:.0f} s ago): "
        "neither the expire step nor the sweep has cancelled it"
    )


def count_stuck(
    session: Session, now: datetime, grace_seconds: float = EXPIRY_GRACE_SECONDS
) -> int:
    """How many runs stuck_runs would list, without a limit."""
    cutoff = now - timedelta(seconds=grace_seconds)
    return int(
        session.scalar(select(func.count()).where(and_(UNPAID, Order.expires_at <= cutoff))) or 0
    )


def run_of(session: Session, order_id: uuid.UUID) -> tuple[Order, list[OrderStep]] | None:
    """One run: the order and its timeline, oldest entry first."""
    order = session.get(Order, order_id)
    if order is None:
        return None
    steps = session.scalars(
        select(OrderStep).where(OrderStep.order_id == order_id).order_by(OrderStep.id)
    )
    return order, list(steps)
