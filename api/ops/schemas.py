"""Response bodies of the operators' endpoints shared by the services."""

from __future__ import annotations

import marshmallow as ma


class DeadLetterSchema(ma.Schema):
    """An event a consumer gave up on (workers.deadletters)."""

    id = ma.fields.Integer(required=True)
    eventId = ma.fields.String(allow_none=True)
    type = ma.fields.String(allow_none=True)
    subject = ma.fields.String(required=True)
    error = ma.fields.String(required=True)
    attempts = ma.fields.Integer(required=True)
    createdAt = ma.fields.String(required=True)
    replayedAt = ma.fields.String(allow_none=True)
    replayCount = ma.fields.Integer(required=True)


class DeadLettersSchema(ma.Schema):
    """A service's dead letters, newest first."""

    service = ma.fields.String(required=True)
    items = ma.fields.List(ma.fields.Nested(DeadLetterSchema), required=True)


class ReplayedSchema(ma.Schema):
    """A dead letter published again to its subject."""

    replayed = ma.fields.Integer(required=True)
    msgId = ma.fields.String(required=True)


class DiscardedSchema(ma.Schema):
    """A dead letter deleted for good."""

    discarded = ma.fields.Integer(required=True)
    eventId = ma.fields.String(allow_none=True)
    type = ma.fields.String(allow_none=True)
    subject = ma.fields.String(required=True)


class ConsumerLagSchema(ma.Schema):
    """A durable JetStream consumer of the service."""

    durable = ma.fields.String(required=True)
    pending = ma.fields.Integer(required=True, metadata={"description": "not yet delivered"})
    ackPending = ma.fields.Integer(required=True, metadata={"description": "delivered, unacked"})
    redelivered = ma.fields.Integer(required=True)


class QueueSchema(ma.Schema):
    """A Dramatiq queue of the service's actors."""

    queue = ma.fields.String(required=True)
    ready = ma.fields.Integer(required=True)
    inProgress = ma.fields.Integer(required=True)
    delayed = ma.fields.Integer(required=True)
    dead = ma.fields.Integer(required=True)


class BacklogSchema(ma.Schema):
    """What waits in the service's outbox, consumers and queues."""

    service = ma.fields.String(required=True)
    outboxUnpublished = ma.fields.Integer(required=True)
    outboxOldestAgeSeconds = ma.fields.Float(required=True)
    openDeadLetters = ma.fields.Integer(required=True)
    consumers = ma.fields.List(ma.fields.Nested(ConsumerLagSchema), required=True)
    consumersError = ma.fields.String(
        allow_none=True, metadata={"description": "why consumer lag could not be read"}
    )
    queues = ma.fields.List(ma.fields.Nested(QueueSchema), required=True)
    queuesError = ma.fields.String(allow_none=True)
