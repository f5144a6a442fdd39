"""The order state machine: statuses and the transitions allowed between them (pure).

    created          -> awaiting_payment | complete | cancelled
    awaiting_payment -> complete | cancelled
    complete, cancelled: terminal

`created → complete` is allowed on purpose: a successful charge may be reported while the
order is still `created` (the payment was started before any `awaiting_payment` step was
recorded, or that step's event is still in flight). The money has been taken and the
ticket is still locked for this order, so completing it is the only outcome that does not
need a refund. `complete` and `cancelled` are terminal.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

from common.errors import Conflict


class OrderStatus(enum.StrEnum):
    """Where an order is in its life."""

    CREATED = "created"
    AWAITING_PAYMENT = "awaiting_payment"
    COMPLETE = "complete"
    CANCELLED = "cancelled"


TRANSITIONS: Mapping[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.CREATED: frozenset(
        {OrderStatus.AWAITING_PAYMENT, OrderStatus.COMPLETE, OrderStatus.CANCELLED}
    ),
    OrderStatus.AWAITING_PAYMENT: frozenset({OrderStatus.COMPLETE, OrderStatus.CANCELLED}),
    OrderStatus.COMPLETE: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
}

# An order in one of these holds its ticket; the database allows one per ticket.
LIVE_STATUSES: frozenset[OrderStatus] = frozenset(
    {OrderStatus.CREATED, OrderStatus.AWAITING_PAYMENT, OrderStatus.COMPLETE}
)
UNPAID_STATUSES: frozenset[OrderStatus] = frozenset(
    {OrderStatus.CREATED, OrderStatus.AWAITING_PAYMENT}
)
TERMINAL_STATUSES: frozenset[OrderStatus] = frozenset(
    status for status, targets in TRANSITIONS.items() if not targets
)


class IllegalTransition(Conflict):
    """The order's current status does not allow the requested move."""

    def __init__(self, current: OrderStatus, target: OrderStatus) -> None:
        self.current, self.target = current, target
        super().__init__(f"The order is {current.value}; it cannot become {target.value}.")


def sources(target: OrderStatus) -> frozenset[OrderStatus]:
    """The statuses from which an order may move to `target`."""
    return frozenset(status for status, targets in TRANSITIONS.items() if target in targets)


def can_transition(current: OrderStatus, target: OrderStatus) -> bool:
    """True when `current → target` is an allowed move."""
    return target in TRANSITIONS[current]


def ensure_transition(current: OrderStatus, target: OrderStatus) -> None:
    """Raise IllegalTransition unless `current → target` is allowed."""
    if not can_transition(current, target):
        raise IllegalTransition(current, target)
