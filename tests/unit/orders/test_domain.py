"""Pure buying rules (no I/O)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from api.orders.domain import (
    OwnTicket,
    TicketFacts,
    TicketReserved,
    TicketSold,
    ensure_orderable,
    expiry,
)
from api.orders.state import OrderStatus

SELLER, BUYER = uuid.uuid4(), uuid.uuid4()


def ticket(*, sold: bool = False) -> TicketFacts:
    return TicketFacts(id=uuid.uuid4(), seller_id=SELLER, sold=sold)


def test_a_free_ticket_can_be_ordered_by_anyone_but_its_seller() -> None:
    ensure_orderable(ticket(), BUYER, None)


def test_nobody_buys_their_own_ticket() -> None:
    with pytest.raises(OwnTicket, match="your own ticket"):
        ensure_orderable(ticket(), SELLER, None)


def test_own_ticket_is_the_reason_given_even_when_it_is_also_sold() -> None:
    with pytest.raises(OwnTicket):
        ensure_orderable(ticket(sold=True), SELLER, OrderStatus.COMPLETE)


def test_a_ticket_sold_according_to_the_replica_cannot_be_ordered() -> None:
    with pytest.raises(TicketSold, match="already sold"):
        ensure_orderable(ticket(sold=True), BUYER, None)


def test_a_ticket_with_a_complete_order_is_sold_before_the_replica_knows() -> None:
    with pytest.raises(TicketSold):
        ensure_orderable(ticket(), BUYER, OrderStatus.COMPLETE)


@pytest.mark.parametrize("holder", [OrderStatus.CREATED, OrderStatus.AWAITING_PAYMENT])
def test_a_ticket_held_by_an_unpaid_order_is_reserved(holder: OrderStatus) -> None:
    with pytest.raises(TicketReserved, match="reserved"):
        ensure_orderable(ticket(), BUYER, holder)


def test_refusals_are_conflicts() -> None:
    assert OwnTicket().status == TicketSold().status == TicketReserved().status == 409


def test_an_order_expires_its_lifetime_after_it_was_made() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert expiry(now, 900) == now + timedelta(minutes=15)
