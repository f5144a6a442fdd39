"""Bodies of the orders service's operator endpoints (/api/orders/ops)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from api.orders.state import OrderStatus

MAX_HOURS = 24 * 90


class WindowArgsSchema(ma.Schema):
    """How far back to look."""

    hours = ma.fields.Integer(load_default=24, validate=validate.Range(min=1, max=MAX_HOURS))


class RunListArgsSchema(WindowArgsSchema):
    """Filters of the run list."""

    status = ma.fields.String(
        load_default=None, validate=validate.OneOf([s.value for s in OrderStatus])
    )
    stuck = ma.fields.Boolean(load_default=False)
    limit = ma.fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class RunSchema(ma.Schema):
    """A saga run: one order, whoever bought it."""

    id = ma.fields.UUID(required=True)
    status = ma.fields.String(required=True)
    userId = ma.fields.UUID(required=True)
    ticketId = ma.fields.UUID(required=True)
    ticketTitle = ma.fields.String(required=True)
    price = ma.fields.String(required=True)
    currency = ma.fields.String(required=True)
    reason = ma.fields.String(allow_none=True)
    reasonDetail = ma.fields.String(allow_none=True)
    expiresAt = ma.fields.String(required=True)
    createdAt = ma.fields.String(required=True)
    updatedAt = ma.fields.String(required=True)
    stuckReason = ma.fields.String(allow_none=True)


class RunListSchema(ma.Schema):
    """Runs, newest first."""

    items = ma.fields.List(ma.fields.Nested(RunSchema), required=True)


class StepEntrySchema(ma.Schema):
    """One timeline entry of a run, with the time since the previous one."""

    step = ma.fields.String(required=True)
    outcome = ma.fields.String(required=True)
    attempt = ma.fields.Integer(required=True)
    at = ma.fields.String(required=True)
    seconds = ma.fields.Float(allow_none=True)
    detail = ma.fields.String(allow_none=True)


class EventSchema(ma.Schema):
    """An event the orders service wrote about the run."""

    id = ma.fields.String(required=True)
    type = ma.fields.String(required=True)
    createdAt = ma.fields.String(required=True)
    publishedAt = ma.fields.String(allow_none=True)


class RunDetailSchema(RunSchema):
    """A run with its steps and events."""

    timeline = ma.fields.List(ma.fields.Nested(StepEntrySchema), required=True)
    events = ma.fields.List(ma.fields.Nested(EventSchema), required=True)


class StepStatsSchema(ma.Schema):
    """A step over the window."""

    step = ma.fields.String(required=True)
    count = ma.fields.Integer(required=True)
    failures = ma.fields.Integer(required=True)
    p50Seconds = ma.fields.Float(allow_none=True)
    p99Seconds = ma.fields.Float(allow_none=True)


class SummarySchema(ma.Schema):
    """Runs by status, stuck runs and the steps' timings."""

    windowHours = ma.fields.Integer(required=True)
    runsByStatus = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer())
    stuck = ma.fields.Integer(required=True)
    steps = ma.fields.List(ma.fields.Nested(StepStatsSchema), required=True)


class WaitingRoomStateSchema(ma.Schema):
    """The waiting room's settings and its line now (docs/on-sale.md)."""

    enabled = ma.fields.Boolean(required=True)
    length = ma.fields.Integer(required=True, metadata={"description": "Buyers in line"})
    admissionRate = ma.fields.Float(required=True, metadata={"description": "Buyers per second"})
    burst = ma.fields.Integer(required=True, metadata={"description": "Let in at once"})
    passSeconds = ma.fields.Integer(
        required=True, metadata={"description": "How long an admitted buyer may reserve"}
    )
    keepSeconds = ma.fields.Integer(
        required=True, metadata={"description": "How long a place is kept without a visit"}
    )
    waitSeconds = ma.fields.Integer(
        required=True, metadata={"description": "Estimated wait of a buyer joining now"}
    )
    error = ma.fields.String(
        allow_none=True,
        required=True,
        metadata={"description": "Why the line could not be read (its length is then 0)"},
    )
