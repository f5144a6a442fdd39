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


# Built once: a new order's entries go in with the order, on the hot path of creation.
_BEGIN = insert(ORDER_STEPS)


def begin(session: Session, entries: Sequence[Entry]) -> None:
    """The first entries of a new order's timeline (each its step's first attempt)."""
    session.execute(_BEGIN, [{**_params(e), "attempt": 1} for e in entries])


def add(session: Session, entries: Sequence[Entry]) -> None:
    """Append entries to their orders' timelines, in the caller's transaction."""
    if not entries:
        return
    session.execute(_ADD, [_params(e) for e in entries])


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
