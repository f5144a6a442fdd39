"""Request and response bodies of the webhooks API."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from api.webhooks.domain import PUBLIC_EVENTS
from common.http.requests import STORABLE_TEXT_PATTERN

DELIVERY_STATUSES = ("pending", "succeeded", "failed")


class EndpointInputSchema(ma.Schema):
    """Where to send events and which ones."""

    url = ma.fields.String(
        required=True,
        validate=validate.Length(min=1, max=2048),
        metadata={
            "example": "https://example.com/hooks/ticketing",
            "pattern": STORABLE_TEXT_PATTERN,
        },
    )
    events = ma.fields.List(
        ma.fields.String(
            validate=validate.OneOf(PUBLIC_EVENTS), metadata={"title": "WebhookEventType"}
        ),
        required=True,
        validate=validate.Length(min=1, max=len(PUBLIC_EVENTS)),
        metadata={"example": ["order.completed", "ticket.sold"]},
    )
    description = ma.fields.String(
        load_default="",
        validate=validate.Length(max=200),
        metadata={"example": "Shop sync", "pattern": STORABLE_TEXT_PATTERN},
    )


class EndpointSchema(ma.Schema):
    """A registered endpoint (its secret is shown only when created or rolled)."""

    id = ma.fields.UUID(required=True)
    url = ma.fields.String(required=True, metadata={"example": "https://example.com/hooks"})
    description = ma.fields.String(required=True, metadata={"example": "Shop sync"})
    events = ma.fields.List(
        ma.fields.String(
            validate=validate.OneOf(PUBLIC_EVENTS), metadata={"title": "WebhookEventType"}
        ),
        required=True,
        metadata={"example": ["order.completed"]},
    )
    createdAt = ma.fields.String(required=True, metadata={"example": "2026-11-24T20:00:00.000Z"})
    updatedAt = ma.fields.String(required=True, metadata={"example": "2026-11-24T20:00:00.000Z"})


class EndpointWithSecretSchema(EndpointSchema):
    """A new endpoint (or one whose secret was just rolled), with its signing secret."""

    secret = ma.fields.String(
        required=True,
        metadata={
            "description": "Verifies the Ticketing-Signature header; shown only now",
            "example": "whsec_4mXk2...",
        },
    )


class EndpointListSchema(ma.Schema):
    """My endpoints, newest first."""

    items = ma.fields.List(ma.fields.Nested(EndpointSchema), required=True)


class RollSecretSchema(ma.Schema):
    """How long the previous secret still signs deliveries (beside the new one)."""

    keepPreviousSeconds = ma.fields.Integer(
        load_default=86_400,
        validate=validate.Range(min=0, max=7 * 86_400),
        metadata={"example": 86_400},
    )


class AttemptSchema(ma.Schema):
    """One try: the receiver's status code, or why there was none."""

    at = ma.fields.String(required=True, metadata={"example": "2026-11-24T20:00:01.000Z"})
    statusCode = ma.fields.Integer(required=True, allow_none=True, metadata={"example": 200})
    error = ma.fields.String(required=True, allow_none=True, metadata={"example": None})
    durationMs = ma.fields.Integer(required=True, metadata={"example": 42})


class DeliverySchema(ma.Schema):
    """One event for this endpoint and every attempt at it, newest first."""

    id = ma.fields.UUID(required=True)
    eventId = ma.fields.UUID(required=True)
    eventType = ma.fields.String(
        required=True,
        validate=validate.OneOf(PUBLIC_EVENTS),
        metadata={"title": "WebhookEventType"},
    )
    status = ma.fields.String(
        required=True,
        validate=validate.OneOf(DELIVERY_STATUSES),
        metadata={"title": "DeliveryStatus"},
    )
    attempts = ma.fields.List(ma.fields.Nested(AttemptSchema), required=True)
    nextAttemptAt = ma.fields.String(
        required=True, allow_none=True, metadata={"example": "2026-11-24T20:00:30.000Z"}
    )
    deliveredAt = ma.fields.String(required=True, allow_none=True, metadata={"example": None})
    createdAt = ma.fields.String(required=True, metadata={"example": "2026-11-24T20:00:00.000Z"})


class DeliveryListSchema(ma.Schema):
    """The endpoint's latest deliveries (up to 50), newest first."""

    items = ma.fields.List(ma.fields.Nested(DeliverySchema), required=True)
