"""Operators' read API of the saga runs (/api/orders/ops): operator role only, never the buyer's.

Views are thin: they call the queries of api.orders.runs and shape the answer.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app
from flask.views import MethodView
from flask_smorest import Api, Blueprint

from api.ops.backbone_views import backbone_blueprint
from api.ops.context import OpsContext, ops_context
from api.ops.documenting import operator_documented
from api.orders import runs
from api.orders.models import OUTBOX, Order, OrderStep
from api.orders.ops_schemas import (
    RunDetailSchema,
    RunListArgsSchema,
    RunListSchema,
    SummarySchema,
    WaitingRoomStateSchema,
    WindowArgsSchema,
)
from api.orders.state import OrderStatus
from api.orders.views import waiting_room
from common.auth.operators import require_operator
from common.backlogs.outbox import events_of_aggregate
from common.clock import Clock, isoformat_z
from common.config import ServiceSettings
from common.db import Database
from common.errors import NotFound
from common.money import format_cents

blp = Blueprint(
    "orders_ops",
    __name__,
    url_prefix="/api/orders/ops",
    description="Operators only: every purchase saga run, its steps, and the stuck ones.",
)


documented = operator_documented(blp, (422, "Bad filter"))
unfiltered = operator_documented(blp)


def clock() -> Clock:
    return current_app.extensions["order_service"].clock  # type: ignore[no-any-return]


def run_body(order: Order, stuck_reason: str | None = None) -> dict[str, Any]:
    return {
        "id": order.id,
        "status": order.status.value,
        "userId": order.user_id,
        "ticketId": order.ticket_id,
        "ticketTitle": order.ticket_title,
        "price": format_cents(order.price_cents),
        "currency": order.currency,
        "reason": order.reason,
        "reasonDetail": order.reason_detail,
        "expiresAt": isoformat_z(order.expires_at),
        "createdAt": isoformat_z(order.created_at),
        "updatedAt": isoformat_z(order.updated_at),
        "stuckReason": stuck_reason,
    }


def timeline_body(steps: list[OrderStep]) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    previous: datetime | None = None
    for step in steps:
        seconds = None if previous is None else (step.at - previous).total_seconds()
        entries.append(
            {
                "step": step.step,
                "outcome": step.outcome,
                "attempt": step.attempt,
                "at": isoformat_z(step.at),
                "seconds": seconds,
                "detail": step.detail,
            }
        )
        previous = step.at
    return entries


@blp.route("/summary")
class Summary(MethodView):
    @documented()
    @blp.arguments(WindowArgsSchema, location="query")
    @blp.response(200, SummarySchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Runs by status, how many are stuck, and each step's count, p50, p99 and failures."""
        require_operator()
        now = clock().now()
        since = now - timedelta(hours=args["hours"])
        with ops_context().db.transaction() as session:
            return {
                "windowHours": args["hours"],
                "runsByStatus": runs.runs_by_status(session),
                "stuck": runs.count_stuck(session, now),
                "steps": [
                    {
                        "step": s.step,
                        "count": s.count,
                        "failures": s.failures,
                        "p50Seconds": s.p50_seconds,
                        "p99Seconds": s.p99_seconds,
                    }
                    for s in runs.step_stats(session, since)
                ],
            }


@blp.route("/runs")
class Runs(MethodView):
    @documented()
    @blp.arguments(RunListArgsSchema, location="query")
    @blp.response(200, RunListSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Runs newest first: of one `status`, started in the last `hours`, or only `stuck`."""
        require_operator()
        now = clock().now()
        with ops_context().db.transaction() as session:
            if args["stuck"]:
                stuck = runs.stuck_runs(session, now, limit=args["limit"])
                return {"items": [run_body(s.order, s.reason) for s in stuck]}
            status = OrderStatus(args["status"]) if args["status"] else None
            since = now - timedelta(hours=args["hours"])
            found = runs.list_runs(session, status=status, since=since, limit=args["limit"])
            return {"items": [run_body(order) for order in found]}


@blp.route("/runs/<uuid:order_id>")
class Run(MethodView):
    @documented((404, "No such order"))
    @blp.response(200, RunDetailSchema)
    def get(self, order_id: uuid.UUID) -> dict[str, Any]:
        """One run: the order, every step with its timing, the events it published."""
        require_operator()
        now = clock().now()
        with ops_context().db.transaction() as session:
            found = runs.run_of(session, order_id)
            if found is None:
                raise NotFound("There is no such order.")
            order, steps = found
            events = events_of_aggregate(session, OUTBOX, [order_id])
            return {
                **run_body(order, runs.stuck_reason(order, now)),
                "timeline": timeline_body(steps),
                "events": [
                    {
                        "id": event.event_id,
                        "type": event.event_type,
                        "createdAt": isoformat_z(event.created_at),
                        "publishedAt": isoformat_z(event.published_at)
                        if event.published_at
                        else None,
                    }
                    for event in events
                ],
            }


@blp.route("/waiting-room")
class WaitingRoomState(MethodView):
    @unfiltered()
    @blp.response(200, WaitingRoomStateSchema)
    def get(self) -> dict[str, Any]:
        """The waiting room: its settings, the line's length and the wait at its end."""
        require_operator()
        room = waiting_room()
        figures, settings = room.figures(), room.settings
        return {
            "enabled": settings.enabled,
            "length": figures.length,
            "admissionRate": settings.admission_rate,
            "burst": settings.burst,
            "passSeconds": settings.pass_seconds,
            "keepSeconds": settings.keep_seconds,
            "waitSeconds": figures.wait_seconds,
            "error": figures.error,
        }


def install_ops(app: Flask, api: Api, settings: ServiceSettings, db: Database) -> None:
    """The operators' endpoints: runs (this module), dead letters and backlogs (api.ops)."""
    # The expiration scheduler's durable and queue are the orders saga's expire step.
    app.extensions["ops"] = OpsContext.from_env(
        settings, db, OUTBOX, queues=["expiration"], durable_prefixes=["orders-", "expiration-"]
    )
    api.register_blueprint(blp)
    api.register_blueprint(backbone_blueprint("orders", "/api/orders"))
