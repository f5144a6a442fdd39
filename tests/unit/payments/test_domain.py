"""Pure payment rules: statuses, who may pay what, refund wording and Stripe keys."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from api.payments.domain import (
    OrderFacts,
    OrderNotPayable,
    OrderStatus,
    PaymentSettled,
    PaymentStatus,
    charge_key,
    clip_reason,
    ensure_payable,
    ensure_repeatable,
    refund_key,
    refund_reason,
    sources,
)
from common.errors import Forbidden

NOW = datetime(2026, 11, 24, 20, 0, tzinfo=UTC)
BUYER = uuid.uuid4()


def order(status: OrderStatus = OrderStatus.CREATED, expires_in: float = 60) -> OrderFacts:
    return OrderFacts(
        id=uuid.uuid4(),
        user_id=BUYER,
        status=status,
        expires_at=NOW + timedelta(seconds=expires_in),
        price_cents=2000,
        currency="usd",
        reason=None,
    )


def test_a_payment_settles_from_pending_and_is_refunded_only_once_succeeded() -> None:
    assert sources(PaymentStatus.SUCCEEDED) == {PaymentStatus.PENDING}
    assert sources(PaymentStatus.FAILED) == {PaymentStatus.PENDING}
    assert sources(PaymentStatus.REFUNDED) == {PaymentStatus.SUCCEEDED}
    assert sources(PaymentStatus.PENDING) == set()


@pytest.mark.parametrize("status", [OrderStatus.CREATED, OrderStatus.AWAITING_PAYMENT])
def test_the_buyer_may_pay_an_unpaid_order_before_it_expires(status: OrderStatus) -> None:
    ensure_payable(order(status), BUYER, NOW)


def test_nobody_else_may_pay_the_order() -> None:
    with pytest.raises(Forbidden):
        ensure_payable(order(), uuid.uuid4(), NOW)


@pytest.mark.parametrize(
    "facts",
    [order(OrderStatus.CANCELLED), order(OrderStatus.COMPLETE), order(expires_in=0)],
    ids=["cancelled", "complete", "expired"],
)
def test_a_cancelled_complete_or_expired_order_cannot_be_paid(facts: OrderFacts) -> None:
    with pytest.raises(OrderNotPayable):
        ensure_payable(facts, BUYER, NOW)


@pytest.mark.parametrize("status", [PaymentStatus.FAILED, PaymentStatus.REFUNDED])
def test_a_payment_that_is_over_cannot_be_repeated(status: PaymentStatus) -> None:
    with pytest.raises(PaymentSettled):
        ensure_repeatable(status)


def test_a_refund_says_why_the_order_was_cancelled() -> None:
    assert refund_reason("expired") == (
        "The order was cancelled (expired) before the payment completed."
    )
    assert refund_reason(None) == "The order was cancelled before the payment completed."


def test_reasons_fit_the_catalogue() -> None:
    assert len(clip_reason("x" * 900)) == 500
    assert clip_reason("  ") == "The payment failed."


def test_the_stripe_keys_are_derived_from_the_order_alone() -> None:
    order_id = uuid.UUID("5b0d8b2e-8a47-4b8e-9f0e-2b7e3c9b1a11")

    assert charge_key(order_id) == f"order-{order_id}-charge"
    assert refund_key(order_id) == f"order-{order_id}-refund"
