"""Operators' read API of payments (/api/payments/ops): operator role only."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask, current_app
from flask.views import MethodView
from flask_smorest import Api, Blueprint

from api.ops.backbone_views import backbone_blueprint
from api.ops.context import OpsContext, ops_context
from api.ops.documenting import operator_documented
from api.payments.components import Payments
from api.payments.models import OUTBOX, Payment
from api.payments.ops_schemas import CompensationArgsSchema, OpsPaymentListSchema, OrderArgsSchema
from api.payments.oversight import compensations, payments_of_order, stuck_payments
from common.auth.operators import require_operator
from common.clock import isoformat_z
from common.money import format_cents

# workers.payments.actors.QUEUE; not imported here, to keep the broker out of this module.
PAYMENTS_QUEUE = "payments"

blp = Blueprint(
    "payments_ops",
    __name__,
    url_prefix="/api/payments/ops",
    description="Operators only: any order's payments, refunds (compensations), stuck charges.",
)


documented = operator_documented(blp)


def payments() -> Payments:
    return current_app.extensions["payments"]  # type: ignore[no-any-return]


def _moment(value: Any) -> str | None:
    return isoformat_z(value) if value is not None else None


def payment_body(payment: Payment, stuck_reason: str | None = None) -> dict[str, Any]:
    return {
        "id": payment.id,
        "orderId": payment.order_id,
        "userId": payment.user_id,
        "status": payment.status.value,
        "amount": format_cents(payment.amount_cents),
        "currency": payment.currency,
        "paymentMethod": payment.payment_method,
        "stripeId": payment.stripe_id,
        "attempts": payment.attempts,
        "failureReason": payment.failure_reason,
        "refundId": payment.refund_id,
        "refundReason": payment.refund_reason,
        "refundRequestedAt": _moment(payment.refund_requested_at),
        "refundedAt": _moment(payment.refunded_at),
        "createdAt": isoformat_z(payment.created_at),
        "updatedAt": isoformat_z(payment.updated_at),
        "stuckReason": stuck_reason,
    }


@blp.route("/payments")
class OrderPayments(MethodView):
    @documented((422, "orderId missing or not a UUID"))
    @blp.arguments(OrderArgsSchema, location="query")
    @blp.response(200, OpsPaymentListSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Every payment of one order (`orderId`), its refund included, whoever paid."""
        require_operator()
        with ops_context().db.transaction() as session:
            return {"items": [payment_body(p) for p in payments_of_order(session, args["orderId"])]}


@blp.route("/compensations")
class Compensations(MethodView):
    @documented((422, "Bad hours or limit"))
    @blp.arguments(CompensationArgsSchema, location="query")
    @blp.response(200, OpsPaymentListSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Refunds made or owed in the last `hours`, newest first, each with its reason."""
        require_operator()
        since = payments().clock.now() - timedelta(hours=args["hours"])
        with ops_context().db.transaction() as session:
            found = compensations(session, since, args["limit"])
            return {"items": [payment_body(p) for p in found]}


@blp.route("/stuck")
class Stuck(MethodView):
    @documented()
    @blp.response(200, OpsPaymentListSchema)
    def get(self) -> dict[str, Any]:
        """Charges pending and refunds owed past PAYMENTS_STUCK_AFTER_SECONDS, with why."""
        require_operator()
        found = payments()
        with ops_context().db.transaction() as session:
            stuck = stuck_payments(session, found.clock.now(), found.settings.stuck_after_seconds)
            return {"items": [payment_body(s.payment, s.reason) for s in stuck]}


def install_ops(app: Flask, api: Api, found: Payments) -> None:
    """The operators' endpoints: payments (this module), dead letters and backlogs (api.ops)."""
    app.extensions["ops"] = OpsContext.from_env(
        found.settings.service, found.db, OUTBOX, [PAYMENTS_QUEUE]
    )
    api.register_blueprint(blp)
    api.register_blueprint(backbone_blueprint("payments", "/api/payments"))
