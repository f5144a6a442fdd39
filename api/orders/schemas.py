"""Request and response bodies of the orders API."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from api.orders.domain import CANCELLED_BY_BUYER, EXPIRED, PAYMENT_DECLINED, PRICE_CHANGED
from api.orders.saga import StepOutcome
from api.orders.state import OrderStatus

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


class NewOrderSchema(ma.Schema):
    """The ticket to buy."""

    ticketId = ma.fields.UUID(required=True)


class OrderedTicketSchema(ma.Schema):
    """The ticket as it was when ordered (its price is the order's price)."""

    title = ma.fields.String(required=True)
    price = ma.fields.String(required=True, metadata={"example": "20.00"})
    currency = ma.fields.String(required=True, metadata={"example": "usd"})


class OrderSchema(ma.Schema):
    """An order as its buyer sees it."""

    id = ma.fields.UUID(required=True)
    status = ma.fields.String(
        required=True, validate=validate.OneOf([s.value for s in OrderStatus])
    )
    ticketId = ma.fields.UUID(required=True)
    ticket = ma.fields.Nested(OrderedTicketSchema, required=True)
    userId = ma.fields.UUID(required=True)
    expiresAt = ma.fields.String(
        required=True,
        metadata={
            "description": "When an unpaid order is cancelled and its ticket released (UTC)",
            "example": "2026-11-24T20:15:00.000Z",
        },
    )
    version = ma.fields.Integer(required=True)
    reason = ma.fields.String(
        required=True,
        allow_none=True,
        validate=validate.OneOf([EXPIRED, CANCELLED_BY_BUYER, PAYMENT_DECLINED, PRICE_CHANGED]),
        metadata={"description": "Why the order was cancelled; null unless it is cancelled"},
    )
    reasonDetail = ma.fields.String(
        required=True,
        allow_none=True,
        metadata={
            "description": "The reason in plain words (for a declined payment, the card "
            "issuer's message); null unless the order is cancelled",
            "example": "Your card was declined.",
        },
    )
    createdAt = ma.fields.String(required=True)
    updatedAt = ma.fields.String(required=True)


class TimelineEntrySchema(ma.Schema):
    """One step of the purchase saga as it happened to this order."""

    step = ma.fields.String(
        required=True,
        metadata={
            "description": "reserve, await_payment, charge, complete, expire, cancel, unlock "
            "or refund",
            "example": "charge",
        },
    )
    outcome = ma.fields.String(
        required=True, validate=validate.OneOf([o.value for o in StepOutcome])
    )
    attempt = ma.fields.Integer(
        required=True,
        metadata={"description": "How many times this step has ended this way, this one included"},
    )
    at = ma.fields.String(required=True, metadata={"example": "2026-11-24T20:02:00.000Z"})
    detail = ma.fields.String(
        required=True, allow_none=True, metadata={"example": "Your card was declined."}
    )


class TrackedOrderSchema(OrderSchema):
    """An order with its timeline: what happened to it and why, oldest step first."""

    timeline = ma.fields.List(ma.fields.Nested(TimelineEntrySchema), required=True)


class OrderPageSchema(ma.Schema):
    """One page of orders, newest first."""

    items = ma.fields.List(ma.fields.Nested(OrderSchema), required=True)
    nextCursor = ma.fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "Pass as `cursor` for the next page; null on the last page"},
    )


class OrderListArgsSchema(ma.Schema):
    """Page size and where to continue."""

    limit = ma.fields.Integer(
        load_default=DEFAULT_PAGE_SIZE, validate=validate.Range(min=1, max=MAX_PAGE_SIZE)
    )
    cursor = ma.fields.String(
        load_default=None,
        validate=[validate.Length(min=1, max=200), validate.Regexp(r"^[A-Za-z0-9_-]+$")],
        metadata={"description": "Opaque: the `nextCursor` of the previous page"},
    )
