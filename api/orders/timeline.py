"""An order's timeline: one entry per saga step, written with the change it tells about."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import DateTime, String, Text, Uuid, bindparam, func, literal, select
from sqlalchemy.orm import Session

from api.orders.models import ORDER_STEPS, OrderStep
from api.orders.saga import StepOutcome


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


def add(session: Session, entries: Sequence[Entry]) -> None:
    """Append entries to their orders' timelines, in the caller's transaction."""
    if not entries:
        return
    session.execute(
        _ADD,
        [
            {
                "order_id": e.order_id,
                "step": e.step,
                "outcome": e.outcome.value,
                "at": e.at,
                "detail": e.detail,
            }
            for e in entries
        ],
    )


def timeline_of(session: Session, order_id: uuid.UUID) -> list[OrderStep]:
    """The order's entries, oldest first."""
    query = select(OrderStep).where(OrderStep.order_id == order_id).order_by(OrderStep.id)
    return list(session.scalars(query))
