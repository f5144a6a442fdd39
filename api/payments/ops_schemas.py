"""Bodies of the payments service's operator endpoints (/api/payments/ops)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate


class OrderArgsSchema(ma.Schema):
    """Whose payments."""

    orderId = ma.fields.UUID(required=True)


class CompensationArgsSchema(ma.Schema):
    """How far back, how many."""

    hours = ma.fields.Integer(load_default=24, validate=validate.Range(min=1, max=24 * 90))
    limit = ma.fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class OpsPaymentSchema(ma.Schema):
    """A payment as an operator sees it, refund included."""

    id = ma.fields.UUID(required=True)
    orderId = ma.fields.UUID(required=True)
    userId = ma.fields.UUID(required=True)
    status = ma.fields.String(required=True)
    amount = ma.fields.String(required=True)
    currency = ma.fields.String(required=True)
    paymentMethod = ma.fields.String(required=True)
    stripeId = ma.fields.String(allow_none=True)
    attempts = ma.fields.Integer(required=True)
    failureReason = ma.fields.String(allow_none=True)
    refundId = ma.fields.String(allow_none=True)
    refundReason = ma.fields.String(allow_none=True)
    refundRequestedAt = ma.fields.String(allow_none=True)
    refundedAt = ma.fields.String(allow_none=True)
    createdAt = ma.fields.String(required=True)
    updatedAt = ma.fields.String(required=True)
    stuckReason = ma.fields.String(allow_none=True)


class OpsPaymentListSchema(ma.Schema):
    """Payments."""

    items = ma.fields.List(ma.fields.Nested(OpsPaymentSchema), required=True)
