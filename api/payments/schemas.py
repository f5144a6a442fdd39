"""Request and response bodies of the payments API."""

from __future__ import annotations

import re

import marshmallow as ma
from marshmallow import validate

from api.payments.domain import PaymentStatus

MAX_PAYMENT_METHOD_LENGTH = 255
# Stripe ids (pm_..., tok_...) are letters, digits and underscores. The whole value must
# match: `$` would also accept a final newline, so the check uses fullmatch.
PAYMENT_METHOD_PATTERN = re.compile(r"[A-Za-z0-9_]+")


def _payment_method_id(value: str) -> None:
    if not PAYMENT_METHOD_PATTERN.fullmatch(value):
        raise ma.ValidationError("Not a Stripe payment method id such as pm_card_visa.")


class NewPaymentSchema(ma.Schema):
    """The order to pay, and the Stripe payment method (or test token) to charge."""

    orderId = ma.fields.UUID(required=True)
    paymentMethod = ma.fields.String(
        required=True,
        validate=[
            validate.Length(min=1, max=MAX_PAYMENT_METHOD_LENGTH),
            _payment_method_id,
        ],
        metadata={
            "pattern": "^[A-Za-z0-9_]+$",
            "description": "A Stripe PaymentMethod id or test token",
            "example": "pm_card_visa",
        },
    )


class PaymentSchema(ma.Schema):
    """A payment as its buyer sees it."""

    id = ma.fields.UUID(required=True)
    orderId = ma.fields.UUID(required=True)
    status = ma.fields.String(
        required=True,
        validate=validate.OneOf([s.value for s in PaymentStatus]),
        metadata={"description": "pending until Stripe answers; refunded after compensation"},
    )
    amount = ma.fields.String(required=True, metadata={"example": "20.00"})
    currency = ma.fields.String(required=True, metadata={"example": "usd"})
    stripeId = ma.fields.String(
        required=True, allow_none=True, metadata={"description": "The Stripe PaymentIntent"}
    )
    failureReason = ma.fields.String(required=True, allow_none=True)
    refundReason = ma.fields.String(required=True, allow_none=True)
    createdAt = ma.fields.String(required=True, metadata={"example": "2026-11-24T20:01:00.000Z"})
    updatedAt = ma.fields.String(required=True)


class PaymentListSchema(ma.Schema):
    """Payments, newest first."""

    items = ma.fields.List(ma.fields.Nested(PaymentSchema), required=True)


class PaymentListArgsSchema(ma.Schema):
    """Which order's payments to list."""

    orderId = ma.fields.UUID(required=True)


class WebhookReceiptSchema(ma.Schema):
    """Stripe only needs a 2xx; the body says the event was taken."""

    received = ma.fields.Boolean(required=True)
