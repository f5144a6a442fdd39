"""Every integration event type and the schema of its data: the contract between services."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import marshmallow as ma
from marshmallow import validate

from common.events.fields import StrictBoolean, StrictInteger, UtcTime

TICKET_CREATED = "tickets.created"
TICKET_UPDATED = "tickets.updated"
ORDER_CREATED = "orders.created"
ORDER_UPDATED = "orders.updated"
ORDER_CANCELLED = "orders.cancelled"
ORDER_COMPLETED = "orders.completed"
EXPIRATION_COMPLETED = "expiration.completed"
PAYMENT_CREATED = "payments.created"
PAYMENT_REFUNDED = "payments.refunded"
PAYMENT_STARTED = "payments.started"
PAYMENT_FAILED = "payments.failed"

ORDER_STATUSES = ("created", "awaiting_payment", "complete", "cancelled")
MAX_CENTS = 100_000_000


class EventContractError(ValueError):
    """Event data (or its type) does not match the catalogue; `messages` says where."""

    def __init__(self, message: str, messages: Mapping[str, Any] | None = None) -> None:
        super().__init__(message if not messages else f"{message}: {dict(messages)}")
        self.messages = dict(messages or {})


def _cents() -> StrictInteger:
    return StrictInteger(required=True, validate=validate.Range(min=1, max=MAX_CENTS))


def _currency() -> ma.fields.String:
    return ma.fields.String(required=True, validate=validate.Regexp(r"^[a-z]{3}$"))


def _version() -> StrictInteger:
    return StrictInteger(required=True, validate=validate.Range(min=0))


class TicketSchema(ma.Schema):
    """tickets.created / tickets.updated: the full ticket snapshot at `version`."""

    id = ma.fields.UUID(required=True)
    version = _version()
    title = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    priceCents = _cents()
    currency = _currency()
    sellerId = ma.fields.UUID(required=True)
    orderId = ma.fields.UUID(allow_none=True, load_default=None)
    sold = StrictBoolean(required=True)


class OrderSchema(ma.Schema):
    """orders.*: the full order snapshot at `version`; every version bump emits one."""

    id = ma.fields.UUID(required=True)
    version = _version()
    status = ma.fields.String(required=True, validate=validate.OneOf(ORDER_STATUSES))
    ticketId = ma.fields.UUID(required=True)
    userId = ma.fields.UUID(required=True)
    expiresAt = UtcTime(required=True)
    priceCents = _cents()
    currency = _currency()
    reason = ma.fields.String(allow_none=True, load_default=None, validate=validate.Length(max=500))


def _order_in(*statuses: str) -> type[OrderSchema]:
    class _Order(OrderSchema):
        status = ma.fields.String(required=True, validate=validate.OneOf(statuses))

    _Order.__name__ = f"Order{''.join(s.title().replace('_', '') for s in statuses)}Schema"
    _Order.__doc__ = f"An order snapshot whose status is {' or '.join(statuses)}."
    return _Order


class ExpirationCompletedSchema(ma.Schema):
    """expiration.completed: the order's lifetime is over."""

    orderId = ma.fields.UUID(required=True)


class PaymentCreatedSchema(ma.Schema):
    """payments.created: a charge for the order succeeded."""

    id = ma.fields.UUID(required=True)
    orderId = ma.fields.UUID(required=True)
    stripeId = ma.fields.String(required=True, validate=validate.Length(min=1, max=255))
    amountCents = _cents()
    currency = _currency()


class PaymentRefundedSchema(PaymentCreatedSchema):
    """payments.refunded: a charge was given back (compensation), and why."""

    reason = ma.fields.String(required=True, validate=validate.Length(min=1, max=500))


class PaymentStartedSchema(ma.Schema):
    """payments.started: the buyer submitted a payment; the order now awaits its outcome."""

    id = ma.fields.UUID(required=True)
    orderId = ma.fields.UUID(required=True)
    amountCents = _cents()
    currency = _currency()


class PaymentFailedSchema(PaymentStartedSchema):
    """payments.failed: the charge was declined (or given up); the order must be cancelled."""

    stripeId = ma.fields.String(
        allow_none=True, load_default=None, validate=validate.Length(max=255)
    )
    reason = ma.fields.String(required=True, validate=validate.Length(min=1, max=500))


SCHEMAS: Mapping[str, type[ma.Schema]] = {
    TICKET_CREATED: TicketSchema,
    TICKET_UPDATED: TicketSchema,
    ORDER_CREATED: _order_in("created"),
    ORDER_UPDATED: OrderSchema,
    ORDER_CANCELLED: _order_in("cancelled"),
    ORDER_COMPLETED: _order_in("complete"),
    EXPIRATION_COMPLETED: ExpirationCompletedSchema,
    PAYMENT_CREATED: PaymentCreatedSchema,
    PAYMENT_REFUNDED: PaymentRefundedSchema,
    PAYMENT_STARTED: PaymentStartedSchema,
    PAYMENT_FAILED: PaymentFailedSchema,
}
EVENT_TYPES: frozenset[str] = frozenset(SCHEMAS)
# Schemas hold no per-load state, so one instance per type and mode serves every thread.
# Producers are strict; consumers ignore unknown fields so a producer may add one first.
_INSTANCES: Mapping[tuple[str, bool], ma.Schema] = {
    (event_type, strict): schema(unknown=ma.RAISE if strict else ma.EXCLUDE)
    for event_type, schema in SCHEMAS.items()
    for strict in (True, False)
}


def validate_data(
    event_type: str, data: Mapping[str, Any], *, strict: bool = True
) -> dict[str, Any]:
    """Check `data` against its type's schema and return its JSON form (ids as strings, times Z)."""
    schema = _schema(event_type, strict)
    dumped: dict[str, Any] = schema.dump(_load(schema, event_type, data))
    return dumped


def check_data(event_type: str, data: Mapping[str, Any]) -> None:
    """Check received `data` against its type's schema (unknown fields ignored); nothing else.

    Consumers keep the data as it came: the JSON form validate_data would also build is
    work every consumer did for every event and threw away (bench/PROFILE.md).
    """
    _load(_schema(event_type, strict=False), event_type, data)


def _schema(event_type: str, strict: bool) -> ma.Schema:
    schema = _INSTANCES.get((event_type, strict))
    if schema is None:
        raise EventContractError(f"unknown event type {event_type!r}")
    return schema


def _load(schema: ma.Schema, event_type: str, data: Mapping[str, Any]) -> Any:
    try:
        return schema.load(dict(data))
    except ma.ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        raise EventContractError(f"invalid {event_type} data", messages) from exc
