"""HTTP routes of the webhooks service: my endpoints, their secrets and delivery logs."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from flask import Response, current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from api.webhooks.models import Attempt, Endpoint
from api.webhooks.schemas import (
    DeliveryListSchema,
    DeliverySchema,
    EndpointInputSchema,
    EndpointListSchema,
    EndpointSchema,
    EndpointWithSecretSchema,
    RollSecretSchema,
)
from api.webhooks.services import DeliveryLog, WebhookService
from common.auth.current_user import require_user
from common.clock import isoformat_z
from common.http.docs import SECURITY
from common.http.idempotency import idempotent
from common.http.problems import documents_problem

F = TypeVar("F", bound=Callable[..., Any])

blp = Blueprint(
    "webhooks",
    __name__,
    url_prefix="/api/webhooks",
    description="Events pushed to your endpoints, signed (Ticketing-Signature), retried for a day.",
)


def problem(status: int, description: str) -> Callable[[F], F]:
    return documents_problem(blp, status, description)


def service() -> WebhookService:
    return current_app.extensions["webhook_service"]  # type: ignore[no-any-return]


def endpoint_body(endpoint: Endpoint, *, with_secret: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": endpoint.id,
        "url": endpoint.url,
        "description": endpoint.description,
        "events": list(endpoint.events),
        "createdAt": isoformat_z(endpoint.created_at),
        "updatedAt": isoformat_z(endpoint.updated_at),
    }
    if with_secret:
        body["secret"] = endpoint.secret
    return body


def attempt_body(attempt: Attempt) -> dict[str, Any]:
    return {
        "at": isoformat_z(attempt.attempted_at),
        "statusCode": attempt.status_code,
        "error": attempt.error,
        "durationMs": attempt.duration_ms,
    }


def delivery_body(log: DeliveryLog) -> dict[str, Any]:
    delivery = log.delivery
    pending = delivery.status == "pending"
    return {
        "id": delivery.id,
        "eventId": delivery.event_id,
        "eventType": delivery.event_type,
        "status": delivery.status,
        "attempts": [attempt_body(a) for a in log.attempts],
        "nextAttemptAt": isoformat_z(delivery.next_attempt_at) if pending else None,
        "deliveredAt": isoformat_z(delivery.delivered_at) if delivery.delivered_at else None,
        "createdAt": isoformat_z(delivery.created_at),
    }


@blp.route("/endpoints")
class Endpoints(MethodView):
    @blp.doc(operationId="listWebhookEndpoints")
    @blp.doc(security=SECURITY)
    @blp.response(200, EndpointListSchema)
    @problem(401, "Not signed in")
    def get(self) -> dict[str, Any]:
        """My webhook endpoints, newest first."""
        return {"items": [endpoint_body(e) for e in service().list_mine(require_user().id)]}

    @idempotent(blp)
    @blp.doc(operationId="createWebhookEndpoint")
    @blp.doc(security=SECURITY)
    @blp.arguments(EndpointInputSchema)
    @blp.response(201, EndpointWithSecretSchema)
    @problem(401, "Not signed in (or cookie without X-CSRF-Token)")
    @problem(422, "Invalid events, or a URL that is not public http(s) (one entry per field)")
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Register an endpoint; the answer carries its signing secret (shown only now)."""
        endpoint = service().create(
            require_user().id, body["url"], body["events"], body["description"]
        )
        return endpoint_body(endpoint, with_secret=True)


@blp.route("/endpoints/<uuid:endpoint_id>")
class EndpointById(MethodView):
    @blp.doc(operationId="getWebhookEndpoint")
    @blp.doc(security=SECURITY)
    @blp.response(200, EndpointSchema)
    @problem(401, "Not signed in")
    @problem(403, "Someone else's endpoint")
    @problem(404, "No such endpoint")
    def get(self, endpoint_id: uuid.UUID) -> dict[str, Any]:
        """One of my endpoints."""
        return endpoint_body(service().get_mine(require_user().id, endpoint_id))

    @blp.doc(operationId="updateWebhookEndpoint")
    @blp.doc(security=SECURITY)
    @blp.arguments(EndpointInputSchema)
    @blp.response(200, EndpointSchema)
    @problem(401, "Not signed in (or cookie without X-CSRF-Token)")
    @problem(403, "Someone else's endpoint")
    @problem(404, "No such endpoint")
    @problem(422, "Invalid events or URL")
    def put(self, body: dict[str, Any], endpoint_id: uuid.UUID) -> dict[str, Any]:
        """Change an endpoint's URL, events and description (its secret stays)."""
        endpoint = service().update(
            require_user().id, endpoint_id, body["url"], body["events"], body["description"]
        )
        return endpoint_body(endpoint)

    @blp.doc(operationId="deleteWebhookEndpoint")
    @blp.doc(security=SECURITY)
    @blp.response(204)
    @problem(401, "Not signed in (or cookie without X-CSRF-Token)")
    @problem(403, "Someone else's endpoint")
    @problem(404, "No such endpoint")
    def delete(self, endpoint_id: uuid.UUID) -> Response:
        """Remove an endpoint; nothing more is sent to it."""
        service().delete(require_user().id, endpoint_id)
        return Response(status=204)


@blp.route("/endpoints/<uuid:endpoint_id>/roll-secret")
class RollSecret(MethodView):
    @blp.doc(operationId="rollWebhookSecret")
    @blp.doc(security=SECURITY)
    @blp.arguments(RollSecretSchema)
    @blp.response(200, EndpointWithSecretSchema)
    @problem(401, "Not signed in (or cookie without X-CSRF-Token)")
    @problem(403, "Someone else's endpoint")
    @problem(404, "No such endpoint")
    @problem(422, "keepPreviousSeconds out of range")
    def post(self, body: dict[str, int], endpoint_id: uuid.UUID) -> dict[str, Any]:
        """A new signing secret; the old one also signs for `keepPreviousSeconds` (a day)."""
        keep = timedelta(seconds=body["keepPreviousSeconds"])
        endpoint = service().roll_secret(require_user().id, endpoint_id, keep)
        return endpoint_body(endpoint, with_secret=True)


@blp.route("/endpoints/<uuid:endpoint_id>/deliveries")
class Deliveries(MethodView):
    @blp.doc(operationId="listWebhookDeliveries")
    @blp.doc(security=SECURITY)
    @blp.response(200, DeliveryListSchema)
    @problem(401, "Not signed in")
    @problem(403, "Someone else's endpoint")
    @problem(404, "No such endpoint")
    def get(self, endpoint_id: uuid.UUID) -> dict[str, Any]:
        """The delivery log: the latest 50 deliveries with each attempt's response code."""
        logs = service().deliveries(require_user().id, endpoint_id)
        return {"items": [delivery_body(log) for log in logs]}


@blp.route("/endpoints/<uuid:endpoint_id>/deliveries/<uuid:delivery_id>/resend")
class Resend(MethodView):
    @blp.doc(operationId="resendWebhookDelivery")
    @blp.doc(security=SECURITY)
    @blp.response(202, DeliverySchema)
    @problem(401, "Not signed in (or cookie without X-CSRF-Token)")
    @problem(403, "Someone else's endpoint")
    @problem(404, "No such endpoint or delivery")
    def post(self, endpoint_id: uuid.UUID, delivery_id: uuid.UUID) -> tuple[dict[str, Any], int]:
        """Send a delivery again now (the same event id and body), with a fresh day of retries."""
        user_id = require_user().id
        resent = service().resend(user_id, endpoint_id, delivery_id)
        return delivery_body(DeliveryLog(resent, [])), 202
