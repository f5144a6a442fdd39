"""The order state machine, on its own (no I/O)."""

from __future__ import annotations

import itertools

import pytest

from api.orders.state import (
    LIVE_STATUSES,
    TERMINAL_STATUSES,
    UNPAID_STATUSES,
    IllegalTransition,
    OrderStatus,
    can_transition,
    ensure_transition,
    sources,
)

C, A, P, X = (
    OrderStatus.CREATED,
    OrderStatus.AWAITING_PAYMENT,
    OrderStatus.COMPLETE,
    OrderStatus.CANCELLED,
)
ALLOWED = {(C, A), (C, P), (C, X), (A, P), (A, X)}


@pytest.mark.parametrize(("current", "target"), sorted(ALLOWED))
def test_the_allowed_moves_are_accepted(current: OrderStatus, target: OrderStatus) -> None:
    assert can_transition(current, target)
    ensure_transition(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    sorted(set(itertools.product(OrderStatus, OrderStatus)) - ALLOWED),
)
def test_every_other_move_is_refused_naming_both_statuses(
    current: OrderStatus, target: OrderStatus
) -> None:
    assert not can_transition(current, target)
    with pytest.raises(IllegalTransition) as refused:
        ensure_transition(current, target)
    assert refused.value.status == 409
    assert refused.value.detail == (
        f"The order is {current.value}; it cannot become {target.value}."
    )
    assert (refused.value.current, refused.value.target) == (current, target)


def test_a_payment_may_complete_an_order_that_never_reached_awaiting_payment() -> None:
    assert can_transition(OrderStatus.CREATED, OrderStatus.COMPLETE)


def test_complete_and_cancelled_are_terminal() -> None:
    assert {OrderStatus.COMPLETE, OrderStatus.CANCELLED} == TERMINAL_STATUSES


def test_only_unpaid_orders_can_be_cancelled_or_completed() -> None:
    assert sources(OrderStatus.CANCELLED) == UNPAID_STATUSES
    assert sources(OrderStatus.COMPLETE) == UNPAID_STATUSES
    assert sources(OrderStatus.AWAITING_PAYMENT) == {OrderStatus.CREATED}
    assert sources(OrderStatus.CREATED) == set()


def test_every_status_but_cancelled_holds_the_ticket() -> None:
    assert set(OrderStatus) - LIVE_STATUSES == {OrderStatus.CANCELLED}


def test_statuses_are_the_strings_of_the_api_and_the_events() -> None:
    assert [s.value for s in OrderStatus] == [
        "created",
        "awaiting_payment",
        "complete",
        "cancelled",
    ]
