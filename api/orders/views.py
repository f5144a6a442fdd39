"""HTTP routes of the orders service: parse, call one use case, serialise."""

from __future__ import annotations

import functools
import uuid
from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from api.orders.gate import gated
from api.orders.models import Order
from api.orders.schemas import (
    NewOrderSchema,
    OrderListArgsSchema,
    OrderPageSchema,
    OrderSchema,
    TrackedOrderSchema,
)
from api.orders.services import OrderService, TrackedOrder
from api.orders.waiting_room import WaitingRoom
from api.orders.waiting_room_schemas import (
    IN_LINE_EXAMPLE,
    QUEUE_POSITION,
    RETRY_AFTER,
    InLineProblemSchema,
    LineSchema,
    PlaceSchema,
)
from common.auth.current_user import require_user
from common.clock import isoformat_z
from common.http.docs import SECURITY
from common.http.idempotency import idempotent
from common.http.problems import PROBLEM_JSON, ProblemSchema, documents_problem
from common.money import format_cents

blp = Blueprint(
    "orders",
    __name__,
    url_prefix="/api/orders",
    description="Buy a ticket: an order holds it until paid, cancelled or expired.",
)


# The one problem-documenting helper (common.http.problems), bound to this blueprint.
problem = functools.partial(documents_problem, blp)


def service() -> OrderService:
    return current_app.extensions["order_service"]  # type: ignore[no-any-return]  # Flask's extensions dict holds Any


def waiting_room() -> WaitingRoom:
    return current_app.extensions["waiting_room"]  # type: ignore[no-any-return]


def order_body(order: Order) -> dict[str, Any]:
    return {
        "id": order.id,
        "status": order.status.value,
        "ticketId": order.ticket_id,
        "ticket": {
            "title": order.ticket_title,
            "price": format_cents(order.price_cents),
            "currency": order.currency,
        },
        "userId": order.user_id,
        "expiresAt": isoformat_z(order.expires_at),
        "version": order.version,
        "reason": order.reason,
        "reasonDetail": order.reason_detail,
        "createdAt": isoformat_z(order.created_at),
        "updatedAt": isoformat_z(order.updated_at),
    }


def tracked_body(tracked: TrackedOrder) -> dict[str, Any]:
    return {
        **order_body(tracked.order),
        "timeline": [
            {
                "step": entry.step,
                "outcome": entry.outcome,
                "attempt": entry.attempt,
                "at": isoformat_z(entry.at),
                "detail": entry.detail,
            }
            for entry in tracked.steps
        ],
    }


@blp.route("")
class Orders(MethodView):
    @blp.doc(operationId="listOrders")
    @blp.doc(security=SECURITY)
    @blp.arguments(OrderListArgsSchema, location="query")
    @blp.response(200, OrderPageSchema)
    @problem(401, "Not signed in")
    @problem(422, "Bad limit or cursor")
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """My orders, newest first (`limit`, then `cursor` = the previous `nextCursor`)."""
        page = service().list_mine(require_user().id, args["limit"], args["cursor"])
        return {"items": [order_body(o) for o in page.items], "nextCursor": page.next_cursor}

    @gated
    @idempotent(blp)
    @blp.doc(operationId="createOrder")
    @blp.doc(security=SECURITY)
    @blp.arguments(NewOrderSchema)
    @blp.response(201, OrderSchema)
    @problem(401, "Not signed in (or cookie without X-CSRF-Token)")
    @problem(404, "No such ticket")
    @problem(409, "Own ticket, or the ticket is reserved or sold")
    @problem(422, "ticketId missing or not a UUID")
    @blp.alt_response(
        429,
        schema=ProblemSchema,
        content_type=PROBLEM_JSON,
        headers={"Retry-After": RETRY_AFTER},
        description="Too many attempts by this buyer or address, or the buyer already holds "
        "ORDERS_MAX_LIVE_PER_BUYER unpaid orders (pay for or cancel one)",
    )
    @blp.alt_response(
        503,
        schema=InLineProblemSchema,
        content_type=PROBLEM_JSON,
        headers={"Retry-After": RETRY_AFTER, "Queue-Position": QUEUE_POSITION},
        description="On-sale rush: you have a place in the waiting room's line (come back "
        "after Retry-After to keep it); or, without Queue-Position, the service is busy",
        example=IN_LINE_EXAMPLE,
    )
    def post(self, body: dict[str, uuid.UUID]) -> dict[str, Any]:
        """Order a ticket: it is held for you until `expiresAt` unless you pay first."""
        return order_body(service().create(require_user().id, body["ticketId"]))


@blp.route("/waiting-room")
class Line(MethodView):
    @blp.doc(operationId="getWaitingRoom")
    @blp.response(200, LineSchema)
    def get(self) -> dict[str, Any]:
        """The waiting room's line: its length, the admission rate and the wait at its end."""
        room = waiting_room()
        figures = room.figures()
        return {
            "enabled": room.settings.enabled,
            "length": figures.length,
            "admissionRate": figures.admission_rate,
            "waitSeconds": figures.wait_seconds,
        }


@blp.route("/waiting-room/me")
class MyPlace(MethodView):
    @blp.doc(operationId="getMyPlaceInLine")
    @blp.doc(security=SECURITY)
    @blp.response(200, PlaceSchema)
    @problem(401, "Not signed in")
    def get(self) -> dict[str, Any]:
        """My place in line (each visit keeps it; it never joins): reserve once `admitted`."""
        place = waiting_room().where(require_user().id)
        return {
            "admitted": place.admitted,
            "position": place.position or None,
            "waitSeconds": place.wait_seconds,
            "retryAfter": place.retry_after,
        }


@blp.route("/<uuid:order_id>")
class OrderById(MethodView):
    @blp.doc(operationId="getOrder")
    @blp.doc(security=SECURITY)
    @blp.response(200, TrackedOrderSchema)
    @problem(401, "Not signed in")
    @problem(403, "Someone else's order")
    @problem(404, "No such order (or the id is not a UUID)")
    def get(self, order_id: uuid.UUID) -> dict[str, Any]:
        """One of my orders, with its timeline (each saga step) and why it was cancelled."""
        return tracked_body(service().get_mine(require_user().id, order_id))


@blp.route("/<uuid:order_id>/cancel")
class CancelOrder(MethodView):
    @idempotent(blp)
    @blp.doc(operationId="cancelOrder")
    @blp.doc(security=SECURITY)
    @blp.response(200, TrackedOrderSchema)
    @problem(401, "Not signed in (or cookie without X-CSRF-Token)")
    @problem(403, "Someone else's order")
    @problem(404, "No such order")
    @problem(409, "The order is already complete or cancelled")
    def post(self, order_id: uuid.UUID) -> dict[str, Any]:
        """Cancel my unpaid order and release its ticket."""
        return tracked_body(service().cancel(require_user().id, order_id))
