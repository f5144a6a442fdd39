"""The saga's steps applied to stored orders: a transition or a note, with its timeline entries."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any

from sqlalchemy import bindparam, literal, select
from sqlalchemy.orm import Session, aliased

from api.orders import saga, timeline
from api.orders.models import ORDERS, UNPAID, Order
from api.orders.repository import transition, transition_where
from api.orders.saga import Step, StepOutcome
from api.orders.state import OrderStatus, sources
from api.orders.timeline import Entry
from common.clock import Clock
from common.money import format_cents
from common.saga_metrics import EXPIRY_LATENESS, on_commit

NO_FACTS: Mapping[str, Any] = MappingProxyType({})

# Nearly every ticket snapshot (a lock, a release, a sale) leaves its price alone. This
# query, built once, tells whether a cancellable order is at another price, so that the
# ORM update of cancel_repriced (costlier in CPU than the consumer's other work on the
# event, bench/PROFILE.md) runs only when it has something to cancel.
_REPRICED_EXISTS = (
    select(literal(True))
    .where(
        ORDERS.c.ticket_id == bindparam("ticket_id"),
        (ORDERS.c.price_cents != bindparam("price_cents"))
        | (ORDERS.c.currency != bindparam("currency")),
        ORDERS.c.status.in_(sources(OrderStatus.CANCELLED)),
    )
    .limit(1)
)


class Effect(enum.Enum):
    """What a step did to an order."""

    MOVED = "moved"  # the order changed status, emitted its event, and the timeline says so
    NOTED = "noted"  # nothing moved, but the timeline records something a reader should see
    NOTHING = "nothing"  # a repeat, a reordered event whose work is done, or an unknown order


@dataclass(frozen=True)
class Reaction:
    """A step's effect, and the order as it now is when it moved."""

    effect: Effect
    order: Order | None = None


def entries_of_move(step: Step, order_id: uuid.UUID, at: datetime, detail: str) -> list[Entry]:
    """The step's own entry, plus the compensations a cancellation sets going."""
    entries = [Entry(order_id, step.name, step.outcome, at, detail)]
    if step.cancels:
        entries += [
            Entry(order_id, c.name, StepOutcome.COMPENSATED, at, c.text) for c in saga.ON_CANCEL
        ]
    return entries


def reserved(session: Session, order: Order) -> None:
    """The first entries of a new order's timeline: ticket reserved, payment awaited."""
    pay_by = {"expiresAt": saga.moment(order.expires_at)}
    timeline.add_first(
        session,
        [
            Entry(
                order.id, step.name, step.outcome, order.created_at, saga.render(step.text, pay_by)
            )
            for step in (saga.RESERVE, saga.AWAIT_PAYMENT)
        ],
    )


def react(
    session: Session,
    step: Step,
    order_id: uuid.UUID,
    clock: Clock,
    facts: Mapping[str, Any] = NO_FACTS,
) -> Reaction:
    """Apply the step to the order through the state machine, in the caller's transaction.

    Idempotent: the transition is a conditional UPDATE that only an order in one of the
    target's source statuses matches, so a repeat (or a step the order has moved past)
    changes nothing; it only leaves a `late` note when the step says a reader should know.
    """
    detail = saga.render(step.text, facts)
    if step.target is None:
        return _note(session, step, detail, order_id, clock)
    cancels = step.cancels
    order = transition(
        session,
        order_id,
        step.target,
        clock,
        reason=step.reason if cancels else None,
        detail=detail if cancels else None,
    )
    if order is not None:
        timeline.add_first(session, entries_of_move(step, order.id, clock.now(), detail))
        if step is saga.EXPIRE:
            _time_expiries(session, [order], clock.now(), "expiration")
        return Reaction(Effect.MOVED, order)
    current = _locked_status(session, order_id)
    if current is None or current not in step.late:
        return Reaction(Effect.NOTHING)
    late = saga.render(step.late[current], facts)
    timeline.add(session, [Entry(order_id, step.name, StepOutcome.SKIPPED, clock.now(), late)])
    return Reaction(Effect.NOTED)


def expire_overdue(session: Session, clock: Clock, limit: int) -> list[Order]:
    """Cancel up to `limit` unpaid orders past their expiry, skipping rows others hold."""
    step = saga.SWEEP_EXPIRE
    now = clock.now()
    due = aliased(Order)
    overdue = (
        select(due.id)
        .where(UNPAID, due.expires_at <= now)
        .order_by(due.expires_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    detail = saga.render(step.text, NO_FACTS)
    moved = transition_where(
        session,
        Order.id.in_(overdue),
        OrderStatus.CANCELLED,
        clock,
        reason=step.reason,
        detail=detail,
    )
    timeline.add_first(
        session, [e for o in moved for e in entries_of_move(step, o.id, now, detail)]
    )
    _time_expiries(session, moved, now, "sweep")
    return moved


def cancel_repriced(session: Session, ticket: Mapping[str, Any], clock: Clock) -> list[Order]:
    """Cancel the unpaid orders of a ticket whose price is not the ticket's price any more.

    Tickets refuses to lock a ticket for an order made at another price, so such an order
    can never be paid at a price the ticket does not show; here it ends, with its reason.
    Idempotent: a cancelled order is no longer unpaid, so a repeat matches nothing.
    """
    step = saga.REPRICED
    price_cents, currency = int(ticket["priceCents"]), str(ticket["currency"])
    ticket_id = uuid.UUID(str(ticket["id"]))
    found = {"ticket_id": ticket_id, "price_cents": price_cents, "currency": currency}
    if session.execute(_REPRICED_EXISTS, found).first() is None:
        return []
    detail = saga.render(step.text, {"price": f"{format_cents(price_cents)} {currency.upper()}"})
    moved = transition_where(
        session,
        (Order.ticket_id == ticket_id)
        & ((Order.price_cents != price_cents) | (Order.currency != currency)),
        OrderStatus.CANCELLED,
        clock,
        reason=step.reason,
        detail=detail,
    )
    now = clock.now()
    timeline.add_first(
        session, [e for o in moved for e in entries_of_move(step, o.id, now, detail)]
    )
    return moved


def _time_expiries(session: Session, orders: list[Order], now: datetime, trigger: str) -> None:
    """Observe how late each expiry fired, once its transaction commits."""
    late = [max((now - order.expires_at).total_seconds(), 0.0) for order in orders]

    def observe() -> None:
        for seconds in late:
            EXPIRY_LATENESS.labels(trigger).observe(seconds)

    if late:
        on_commit(session, observe)


def _locked_status(session: Session, order_id: uuid.UUID) -> OrderStatus | None:
    """The order's status, its row locked so its timeline entries are written one at a time."""
    return session.scalar(select(Order.status).where(Order.id == order_id).with_for_update())


def _note(session: Session, step: Step, detail: str, order_id: uuid.UUID, clock: Clock) -> Reaction:
    """A step that moves nothing (a report): its entry, when the order exists."""
    if _locked_status(session, order_id) is None:
        return Reaction(Effect.NOTHING)
    timeline.add(session, [Entry(order_id, step.name, step.outcome, clock.now(), detail)])
    return Reaction(Effect.NOTED)
