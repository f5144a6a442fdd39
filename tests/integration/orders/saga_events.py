"""The events other services send the orders saga, as test builders."""

from __future__ import annotations

import uuid

from common.events.catalogue import (
    EXPIRATION_COMPLETED,
    PAYMENT_CREATED,
    PAYMENT_FAILED,
    PAYMENT_REFUNDED,
    PAYMENT_STARTED,
)
from common.events.envelope import Envelope, new_event

AMOUNT = 2500


def _payment(order_id: str, payment_id: str | None) -> dict[str, object]:
    return {
        "id": payment_id or str(uuid.uuid4()),
        "orderId": order_id,
        "amountCents": AMOUNT,
        "currency": "usd",
    }


def started(order_id: str, payment_id: str | None = None) -> Envelope:
    return new_event(PAYMENT_STARTED, _payment(order_id, payment_id))


def paid(order_id: str, payment_id: str | None = None) -> Envelope:
    return new_event(PAYMENT_CREATED, {**_payment(order_id, payment_id), "stripeId": "pi_123"})


def declined(order_id: str, message: str = "Your card was declined.") -> Envelope:
    return new_event(
        PAYMENT_FAILED, {**_payment(order_id, None), "stripeId": "pi_456", "reason": message}
    )


def refunded(order_id: str, reason: str = "the order was cancelled") -> Envelope:
    return new_event(
        PAYMENT_REFUNDED, {**_payment(order_id, None), "stripeId": "pi_123", "reason": reason}
    )


def expired(order_id: str) -> Envelope:
    return new_event(EXPIRATION_COMPLETED, {"orderId": order_id})
