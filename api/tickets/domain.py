"""Pure rules of a ticket: who edits it, and how orders lock, unlock and sell it.

A ticket's reservation is the pair (order_id, sold): no order means available, an order
means locked by it, and sold keeps the order that bought it. Order events are applied by
their meaning; each transition says whether it changes the ticket, is an idempotent repeat,
must wait for an event still in flight, or can never apply.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass

from common.errors import Conflict, Forbidden

MAX_TITLE_LENGTH = 200


class TicketStatus(enum.StrEnum):
    """What a buyer sees: available, locked by an order, or sold."""

    AVAILABLE = "available"
    LOCKED = "locked"
    SOLD = "sold"


@dataclass(frozen=True)
class Reservation:
    """The part of a ticket that orders drive."""

    order_id: uuid.UUID | None = None
    sold: bool = False

    @property
    def status(self) -> TicketStatus:
        if self.sold:
            return TicketStatus.SOLD
        return TicketStatus.AVAILABLE if self.order_id is None else TicketStatus.LOCKED


class Verdict(enum.Enum):
    """What an order event does to a ticket."""

    CHANGED = "changed"
    UNCHANGED = "unchanged"  # already applied, stale, or about an order that is over
    LATER = "later"  # another order's lock is still held: its release is in flight
    REFUSED = "refused"  # contradicts the ticket for good; an operator should look


@dataclass(frozen=True)
class Transition:
    """The verdict on an order event, the reservation that results, and why."""

    verdict: Verdict
    reservation: Reservation
    reason: str


def ensure_editable(seller_id: uuid.UUID, reservation: Reservation, editor_id: uuid.UUID) -> None:
    """Only the seller edits, and only while no order holds or has bought the ticket."""
    if editor_id != seller_id:
        raise Forbidden("Only the seller can edit this ticket.")
    if reservation.sold:
        raise Conflict("The ticket is sold and can no longer be edited.")
    if reservation.order_id is not None:
        raise Conflict("The ticket is reserved by an order and cannot be edited meanwhile.")


def lock(
    current: Reservation, order_id: uuid.UUID, *, order_closed: bool, repriced: bool = False
) -> Transition:
    """An order was created: it holds the ticket unless that order is over or mispriced.

    `repriced`: the seller changed the price after the order was made at the old one; the
    ticket is not locked, and orders cancels that order when the new price reaches it.
    """
    if order_closed:
        return Transition(Verdict.UNCHANGED, current, "the order is already cancelled or complete")
    if current.order_id == order_id:
        return Transition(Verdict.UNCHANGED, current, "already locked by this order")
    if repriced:
        return Transition(
            Verdict.UNCHANGED, current, "the order was made at a price the ticket no longer has"
        )
    if current.sold:
        return Transition(Verdict.REFUSED, current, "the ticket is sold to another order")
    if current.order_id is not None:
        # Orders allows one live order per ticket, so the holder's cancellation is on its way.
        return Transition(Verdict.LATER, current, "locked by another order")
    return Transition(Verdict.CHANGED, Reservation(order_id, sold=False), "locked")


def unlock(current: Reservation, order_id: uuid.UUID) -> Transition:
    """An order was cancelled: release the ticket only if that very order holds it."""
    if current.order_id != order_id:
        return Transition(Verdict.UNCHANGED, current, "the ticket is not held by this order")
    if current.sold:
        return Transition(Verdict.REFUSED, current, "a sold ticket is never released")
    return Transition(Verdict.CHANGED, Reservation(None, sold=False), "unlocked")


def sell(current: Reservation, order_id: uuid.UUID) -> Transition:
    """An order was completed: the ticket is sold to it and keeps its order id."""
    if current.sold:
        if current.order_id == order_id:
            return Transition(Verdict.UNCHANGED, current, "already sold to this order")
        return Transition(Verdict.REFUSED, current, "the ticket is sold to another order")
    if current.order_id not in (None, order_id):
        return Transition(Verdict.LATER, current, "locked by another order")
    return Transition(Verdict.CHANGED, Reservation(order_id, sold=True), "sold")
