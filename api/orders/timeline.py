"""An order's timeline: one entry per saga step, written with the change it tells about."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import DateTime, String, Text, Uuid, bindparam, func, insert, literal, select
from sqlalchemy.orm import Session

from api.orders.models import ORDER_STEPS, OrderStep
from api.orders.saga import StepOutcome
from common.saga_metrics import SAGA_STEPS, on_commit


@dataclass(frozen=True)
class Entry:
    """What one step did to one order, and when."""

    order_id: uuid.UUID
    step: str
    outcome: StepOutcome
    at: datetime
    detail: str | None = None


_ORDER_ID = bindparam("order_id", type_=Uuid())
_STEP = bindparam("step", type_=String())
_OUTCOME = bindparam("outcome", type_=String())
_SAME = (
    (OrderStep.order_id == _ORDER_ID) & (OrderStep.step == _STEP) & (OrderStep.outcome == _OUTCOME)
)
# The attempt is how many times this step has ended this way for the order, this one
# included. Callers hold the order's row lock, so entries of one order never race.
_ADD = ORDER_STEPS.insert().from_select(
    ["order_id", "step", "outcome", "attempt", "at", "detail"],
    select(
        _ORDER_ID,
        _STEP,
        _OUTCOME,
        func.coalesce(func.max(OrderStep.attempt), literal(0)) + 1,
        bindparam("at", type_=DateTime(timezone=True)),
        bindparam("detail", type_=Text()),
    ).where(_SAME),
)


# Built once: entries of transitions go in with the order's row, also on the hot path.
_FIRST = insert(ORDER_STEPS)


def add_first(session: Session, entries: Sequence[Entry]) -> None:
    """Append entries that are their step's first of their outcome, without counting.

    That is every entry of a transition: the state machine has no cycles, so an order
    makes each move at most once.
    """
    if entries:
        session.execute(_FIRST, [{**_params(e), "attempt": 1} for e in entries])
        _count(session, entries)


def add(session: Session, entries: Sequence[Entry]) -> None:
    """Append entries to their orders' timelines, in the caller's transaction."""
    if not entries:
        return
    session.execute(_ADD, [_params(e) for e in entries])
    _count(session, entries)


def _count(session: Session, entries: Sequence[Entry]) -> None:
    """Count the entries as saga steps once the transaction commits."""
    steps = [(entry.step, entry.outcome.value) for entry in entries]

    def count() -> None:
        for step, outcome in steps:
            SAGA_STEPS.labels(step, outcome).inc()

    on_commit(session, count)


def _params(entry: Entry) -> dict[str, object]:
    return {
        "order_id": entry.order_id,
        "step": entry.step,
        "outcome": entry.outcome.value,
        "at": entry.at,
        "detail": entry.detail,
    }


def timeline_of(session: Session, order_id: uuid.UUID) -> list[OrderStep]:
    """The order's entries, oldest first."""
    query = select(OrderStep).where(OrderStep.order_id == order_id).order_by(OrderStep.id)
    return list(session.scalars(query))
