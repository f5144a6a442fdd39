"""HTTP routes of the payments service: parse, call one use case, serialise."""

from __future__ import annotations

import uuid
from typing import Any

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint

from api.payments.components import Payments
from api.payments.domain import PaymentStatus
from api.payments.models import Payment
from api.payments.schemas import (
    NewPaymentSchema,
    PaymentListArgsSchema,
    PaymentListSchema,
    PaymentSchema,
    WebhookReceiptSchema,
)
from api.payments.webhooks import SIGNATURE_HEADER
from common.auth.current_user import require_user
from common.clock import isoformat_z
from common.http.docs import SECURITY
from common.http.idempotency import idempotent
from common.http.problems import PROBLEM_JSON, ProblemSchema, documents_problem
from common.http.requests import raw_body
from common.money import format_cents

blp = Blueprint(
    "payments",
    __name__,
    url_prefix="/api/payments",
    description="Pay for an order through Stripe; Stripe reports back through signed webhooks.",
)

WEBHOOK_BODY = {
    "required": True,
    "description": "A Stripe event, exactly as Stripe signed it",
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["id", "type", "data"],
                "properties": {
                    "id": {"type": "string", "example": "evt_1"},
                    "type": {"type": "string", "example": "payment_intent.succeeded"},
                    "data": {"type": "object", "properties": {"object": {"type": "object"}}},
                },
            }
        }
    },
}
SIGNATURE_PARAMETER = {
    "in": "header",
    "name": SIGNATURE_HEADER,
    "required": True,
    "schema": {"type": "string"},
    "description": "t=<unix time>,v1=<HMAC-SHA256 of the body with the endpoint secret>",
}


def payments() -> Payments:
    return current_app.extensions["payments"]  # type: ignore[no-any-return]  # Flask's extensions dict holds Any


def payment_body(payment: Payment) -> dict[str, Any]:
    return {
        "id": payment.id,
        "orderId": payment.order_id,
        "status": payment.status.value,
        "amount": format_cents(payment.amount_cents),
        "currency": payment.currency,
        "stripeId": payment.stripe_id,
        "failureReason": payment.failure_reason,
        "refundReason": payment.refund_reason,
        "createdAt": isoformat_z(payment.created_at),
        "updatedAt": isoformat_z(payment.updated_at),
    }


@blp.route("")
class PaymentsOfOrder(MethodView):
    @blp.doc(operationId="listPayments")
    @blp.doc(security=SECURITY)
    @blp.arguments(PaymentListArgsSchema, location="query")
    @blp.response(200, PaymentListSchema)
    @documents_problem(blp, 401, "Not signed in")
    @documents_problem(blp, 422, "orderId missing or not a UUID")
    def get(self, args: dict[str, uuid.UUID]) -> dict[str, Any]:
        """My payments of one order, newest first."""
        found = payments().service.list_for_order(require_user().id, args["orderId"])
        return {"items": [payment_body(p) for p in found]}

    @idempotent(blp)
    @blp.doc(operationId="createPayment")
    @blp.doc(security=SECURITY)
    @blp.arguments(NewPaymentSchema)
    @blp.response(201, PaymentSchema, description="Paid: the charge succeeded")
    @blp.alt_response(
        202,
        schema=PaymentSchema,
        description="Pending: Stripe did not answer yet; a worker finishes the charge "
        "(follow the order, or GET the payment)",
    )
    @documents_problem(blp, 401, "Not signed in (or cookie without X-CSRF-Token)")
    @documents_problem(blp, 402, "The card was declined (Stripe's message); the order is cancelled")
    @documents_problem(blp, 403, "Someone else's order")
    @documents_problem(blp, 404, "No such order")
    @blp.alt_response(
        409,
        schema=ProblemSchema,
        content_type=PROBLEM_JSON,
        headers={
            "Retry-After": {
                "description": "Only when the order has not reached payments yet: retry then",
                "schema": {"type": "integer", "example": 1},
            }
        },
        description="The order is cancelled, complete or expired, or its payment is over; "
        "or (with Retry-After) it was created a moment ago and has not reached payments yet",
    )
    @documents_problem(blp, 422, "orderId not a UUID, or paymentMethod missing or invalid")
    def post(self, body: dict[str, Any]) -> tuple[dict[str, Any], int]:
        """Pay for my order: charged once, however often the request is sent."""
        payment = payments().service.pay(require_user().id, body["orderId"], body["paymentMethod"])
        status = 201 if payment.status is PaymentStatus.SUCCEEDED else 202
        return payment_body(payment), status


@blp.route("/<uuid:payment_id>")
class PaymentById(MethodView):
    @blp.doc(operationId="getPayment")
    @blp.doc(security=SECURITY)
    @blp.response(200, PaymentSchema)
    @documents_problem(blp, 401, "Not signed in")
    @documents_problem(blp, 403, "Someone else's payment")
    @documents_problem(blp, 404, "No such payment (or the id is not a UUID)")
    def get(self, payment_id: uuid.UUID) -> dict[str, Any]:
        """One of my payments."""
        return payment_body(payments().service.get_mine(require_user().id, payment_id))


@blp.route("/webhook")
@raw_body
class StripeWebhook(MethodView):
    @blp.doc(operationId="receiveStripeWebhook")
    @blp.doc(requestBody=WEBHOOK_BODY, parameters=[SIGNATURE_PARAMETER])
    @blp.response(200, WebhookReceiptSchema)
    @documents_problem(
        blp, 400, "Missing or invalid Stripe-Signature (or dated in the future), or not an event"
    )
    @documents_problem(
        blp, 422, "A reported success whose intent, amount or currency is not the payment's"
    )
    def post(self) -> dict[str, bool]:
        """Stripe's webhook: payment_intent.succeeded / payment_failed and charge.refunded."""
        payments().webhooks.receive(request.get_data(), request.headers.get(SIGNATURE_HEADER))
        return {"received": True}
