"""Pure rules of buying: who may order which ticket, and for how long it is held."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from api.orders.state import UNPAID_STATUSES, OrderStatus
from common.errors import Conflict

# Why an order was cancelled (its `reason`).
CANCELLED_BY_BUYER = "cancelled_by_buyer"
EXPIRED = "expired"
PAYMENT_DECLINED = "payment_declined"
# The seller changed the price before the ticket was locked for the order.
PRICE_CHANGED = "price_changed"


@dataclass(frozen=True)
class TicketFacts:
    """What the orders service knows about a ticket from its replica."""

    id: uuid.UUID
    seller_id: uuid.UUID
    sold: bool


class OwnTicket(Conflict):
    """Sellers cannot buy their own tickets."""

    default_detail = "You cannot buy your own ticket."


class TicketSold(Conflict):
    """The ticket has been bought already."""

    default_detail = "The ticket is already sold."


class TicketReserved(Conflict):
    """Another order holds the ticket until it is paid, cancelled or expires."""

    default_detail = "The ticket is reserved by another order."


def ensure_orderable(
    ticket: TicketFacts, buyer_id: uuid.UUID, live_order: OrderStatus | None
) -> None:
    """Refuse an order for one's own ticket, a sold ticket, or one another order holds.

    `live_order` is the status of the order currently holding the ticket according to the
    orders table (the source of truth for locks; the replica's `orderId` lags behind it).
    This check only chooses the error message: the partial unique index on live orders is
    what guarantees one live order per ticket under concurrency.
    """
    if ticket.seller_id == buyer_id:
        raise OwnTicket()
    if ticket.sold or live_order is OrderStatus.COMPLETE:
        raise TicketSold()
    if live_order in UNPAID_STATUSES:
        raise TicketReserved()


def expiry(now: datetime, lifetime_seconds: int) -> datetime:
    """When an order created now stops holding its ticket."""
    return now + timedelta(seconds=lifetime_seconds)
