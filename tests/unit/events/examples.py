"""A valid data example per event type, shared by the contract tests."""

from __future__ import annotations

from typing import Any

from common.events import catalogue

TICKET = "3e3dedce-0b02-408a-8f8c-e695e12fe6bb"
ORDER = "4b0040b7-2edd-4623-bc19-c9d958f7461f"
USER = "88ee2e9c-66f4-486a-a1fa-2cb8c6138cc4"
PAYMENT = "cca3eb58-2208-4fb5-8065-6257b3c6585f"


def ticket(**changes: Any) -> dict[str, Any]:
    return {
        "id": TICKET,
        "version": 1,
        "title": "Concert",
        "priceCents": 2000,
        "currency": "usd",
        "sellerId": USER,
        "orderId": None,
        "sold": False,
        **changes,
    }


def order(status: str = "created", **changes: Any) -> dict[str, Any]:
    return {
        "id": ORDER,
        "version": 1,
        "status": status,
        "ticketId": TICKET,
        "userId": USER,
        "expiresAt": "2026-11-24T20:15:00.000Z",
        "priceCents": 2000,
        "currency": "usd",
        "reason": None,
        **changes,
    }


def payment(**changes: Any) -> dict[str, Any]:
    return {
        "id": PAYMENT,
        "orderId": ORDER,
        "stripeId": "pi_123",
        "amountCents": 2000,
        "currency": "usd",
        **changes,
    }


VALID: dict[str, dict[str, Any]] = {
    catalogue.TICKET_CREATED: ticket(),
    catalogue.TICKET_UPDATED: ticket(version=2, orderId=ORDER),
    catalogue.ORDER_CREATED: order(),
    catalogue.ORDER_UPDATED: order("awaiting_payment", version=2),
    catalogue.ORDER_CANCELLED: order("cancelled", version=3, reason="expired"),
    catalogue.ORDER_COMPLETED: order("complete", version=3),
    catalogue.EXPIRATION_COMPLETED: {"orderId": ORDER},
    catalogue.PAYMENT_CREATED: payment(),
    catalogue.PAYMENT_REFUNDED: payment(reason="order cancelled before the charge"),
    catalogue.PAYMENT_STARTED: {k: v for k, v in payment().items() if k != "stripeId"},
    catalogue.PAYMENT_FAILED: payment(reason="Your card was declined."),
}

INVALID: dict[str, dict[str, Any]] = {
    catalogue.TICKET_CREATED: ticket(priceCents=20.5),
    catalogue.TICKET_UPDATED: ticket(sold="yes"),
    catalogue.ORDER_CREATED: order("cancelled"),
    catalogue.ORDER_UPDATED: order("shipped"),
    catalogue.ORDER_CANCELLED: order("cancelled", expiresAt="2026-11-24T20:15:00"),
    catalogue.ORDER_COMPLETED: order("complete", ticketId="not-a-uuid"),
    catalogue.EXPIRATION_COMPLETED: {},
    catalogue.PAYMENT_CREATED: payment(amountCents=0),
    catalogue.PAYMENT_REFUNDED: payment(),
    catalogue.PAYMENT_STARTED: {"id": PAYMENT, "orderId": ORDER, "amountCents": 2000},
    catalogue.PAYMENT_FAILED: payment(reason=""),
}
