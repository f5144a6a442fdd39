"""The pure ticket rules: who edits, and how orders lock, unlock and sell (no I/O)."""

from __future__ import annotations

import uuid

import pytest

from api.tickets.domain import (
    Reservation,
    TicketStatus,
    Verdict,
    ensure_editable,
    lock,
    sell,
    unlock,
)
from common.errors import Conflict, Forbidden

SELLER, ORDER, OTHER = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
AVAILABLE = Reservation()
LOCKED = Reservation(ORDER)
SOLD = Reservation(ORDER, sold=True)


def test_status_is_derived_from_the_order_and_the_sold_flag() -> None:
    assert AVAILABLE.status is TicketStatus.AVAILABLE
    assert LOCKED.status is TicketStatus.LOCKED
    assert SOLD.status is TicketStatus.SOLD


def test_the_seller_may_edit_an_available_ticket() -> None:
    ensure_editable(SELLER, AVAILABLE, SELLER)


def test_nobody_but_the_seller_may_edit() -> None:
    with pytest.raises(Forbidden):
        ensure_editable(SELLER, AVAILABLE, uuid.uuid4())


def test_a_locked_ticket_cannot_be_edited_and_the_conflict_says_it_is_reserved() -> None:
    with pytest.raises(Conflict, match="reserved"):
        ensure_editable(SELLER, LOCKED, SELLER)


def test_a_sold_ticket_cannot_be_edited_and_the_conflict_says_it_is_sold() -> None:
    with pytest.raises(Conflict, match="sold"):
        ensure_editable(SELLER, SOLD, SELLER)


def test_another_user_hears_forbidden_even_for_a_locked_ticket() -> None:
    with pytest.raises(Forbidden):
        ensure_editable(SELLER, LOCKED, uuid.uuid4())


def test_a_new_order_locks_an_available_ticket() -> None:
    transition = lock(AVAILABLE, ORDER, order_closed=False)
    assert transition.verdict is Verdict.CHANGED
    assert transition.reservation == Reservation(ORDER, sold=False)


def test_an_order_made_at_another_price_never_locks() -> None:
    transition = lock(AVAILABLE, ORDER, order_closed=False, repriced=True)
    assert transition.verdict is Verdict.UNCHANGED
    assert transition.reservation == AVAILABLE
    assert "price" in transition.reason


def test_locking_again_by_the_same_order_changes_nothing() -> None:
    transition = lock(LOCKED, ORDER, order_closed=False)
    assert transition.verdict is Verdict.UNCHANGED
    assert transition.reservation == LOCKED


def test_an_order_that_is_already_over_never_locks() -> None:
    assert lock(AVAILABLE, ORDER, order_closed=True).verdict is Verdict.UNCHANGED


def test_a_ticket_held_by_another_order_waits_for_that_order_to_let_go() -> None:
    assert lock(LOCKED, OTHER, order_closed=False).verdict is Verdict.LATER


def test_a_ticket_sold_to_another_order_refuses_a_new_lock() -> None:
    assert lock(SOLD, OTHER, order_closed=False).verdict is Verdict.REFUSED


def test_cancelling_the_holding_order_unlocks_the_ticket() -> None:
    transition = unlock(LOCKED, ORDER)
    assert transition.verdict is Verdict.CHANGED
    assert transition.reservation == AVAILABLE


def test_a_stale_cancel_never_unlocks_another_buyers_reservation() -> None:
    transition = unlock(Reservation(OTHER), ORDER)
    assert transition.verdict is Verdict.UNCHANGED
    assert transition.reservation == Reservation(OTHER)


def test_cancelling_an_order_that_holds_nothing_changes_nothing() -> None:
    assert unlock(AVAILABLE, ORDER).verdict is Verdict.UNCHANGED


def test_a_sold_ticket_is_never_released_by_a_cancel() -> None:
    assert unlock(SOLD, ORDER).verdict is Verdict.REFUSED


def test_completing_the_holding_order_sells_the_ticket_and_keeps_the_order() -> None:
    transition = sell(LOCKED, ORDER)
    assert transition.verdict is Verdict.CHANGED
    assert transition.reservation == SOLD


def test_a_completion_that_overtakes_its_creation_still_sells_the_ticket() -> None:
    assert sell(AVAILABLE, ORDER).reservation == SOLD


def test_completing_again_changes_nothing() -> None:
    assert sell(SOLD, ORDER).verdict is Verdict.UNCHANGED


def test_a_completion_while_another_order_holds_the_ticket_waits() -> None:
    assert sell(Reservation(OTHER), ORDER).verdict is Verdict.LATER


def test_a_completion_for_a_ticket_sold_to_another_order_is_refused() -> None:
    assert sell(Reservation(OTHER, sold=True), ORDER).verdict is Verdict.REFUSED
