"""The operators' console (/ops): every saga run, stuck runs, compensations, dead letters, backlogs.

Operators only. Whether the visitor is one is the APIs' decision (the `operator` role in the
access token): a page whose first API call answers 403 is a 404 here, so the console does not
show itself to anyone else. Each panel names a service that does not answer instead of
failing the whole page.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from web.client import ApiUnavailable
from web.context import api, signin_required

bp = Blueprint("ops", __name__, url_prefix="/ops")

BACKBONE_SERVICES = ("tickets", "orders", "payments")
PREFIXES = {"tickets": "/api/tickets", "orders": "/api/orders", "payments": "/api/payments"}
RUN_STATUSES = ("created", "awaiting_payment", "complete", "cancelled")
WINDOWS = (1, 6, 24, 168)
WAITING_ROOM = "/api/orders/ops/waiting-room"


@dataclass(frozen=True)
class Panel:
    """What one API said for a panel of a page, or why it could not say it."""

    data: Any = None
    error: str | None = None


def gate(path: str, params: Mapping[str, str] | None = None) -> Any:
    """The page's first call: a 403 or 404 from it makes the whole page a 404."""
    response = api().get(path, params)
    if response.status in {401, 403}:
        abort(404)
    if response.status == 404:
        abort(404)
    return response.data()


def panel(path: str, params: Mapping[str, str] | None = None) -> Panel:
    """A further call of the page; a service that fails is named in its panel."""
    try:
        response = api().get(path, params)
    except ApiUnavailable as exc:
        return Panel(error=exc.detail)
    if not response.ok:
        return Panel(error=response.problem().detail)
    return Panel(data=response.data())


def window() -> int:
    """The `hours` filter, one of WINDOWS (24 when absent or unknown)."""
    hours = request.args.get("hours", type=int)
    return hours if hours in WINDOWS else 24


@bp.get("")
@signin_required
def overview() -> ResponseReturnValue:
    """Runs by state, each step's count, p50, p99 and failures, and what needs a look."""
    hours = window()
    summary = gate("/api/orders/ops/summary", {"hours": str(hours)})
    backlogs = {name: panel(f"{PREFIXES[name]}/ops/backlog") for name in BACKBONE_SERVICES}
    return render_template(
        "ops/overview.html",
        summary=summary,
        backlogs=backlogs,
        waiting_room=panel(WAITING_ROOM),
        hours=hours,
        windows=WINDOWS,
    )


@bp.get("/runs")
@signin_required
def runs() -> ResponseReturnValue:
    """Runs newest first, filtered by status and time window."""
    hours = window()
    status = request.args.get("status", "")
    if status and status not in RUN_STATUSES:
        status = ""
    found = gate("/api/orders/ops/runs", {"hours": str(hours), "status": status, "limit": "200"})
    return render_template(
        "ops/runs.html",
        runs=found["items"],
        status=status,
        statuses=RUN_STATUSES,
        hours=hours,
        windows=WINDOWS,
    )


@bp.get("/runs/<uuid:order_id>")
@signin_required
def run(order_id: uuid.UUID) -> ResponseReturnValue:
    """One run on one page: the order, its steps, its events, its payments and refunds."""
    found = gate(f"/api/orders/ops/runs/{order_id}")
    payments = panel("/api/payments/ops/payments", {"orderId": str(order_id)})
    return render_template("ops/run.html", run=found, payments=payments)


@bp.get("/stuck")
@signin_required
def stuck() -> ResponseReturnValue:
    """Runs past their step's deadline, with the reason: unpaid orders and stuck payments."""
    orders = gate("/api/orders/ops/runs", {"stuck": "true", "limit": "200"})
    payments = panel("/api/payments/ops/stuck")
    return render_template("ops/stuck.html", runs=orders["items"], payments=payments)


@bp.get("/compensations")
@signin_required
def compensations() -> ResponseReturnValue:
    """Refunds made or owed, each with why it happened."""
    hours = window()
    gate("/api/orders/ops/summary", {"hours": "1"})
    refunds = panel("/api/payments/ops/compensations", {"hours": str(hours), "limit": "200"})
    return render_template("ops/compensations.html", refunds=refunds, hours=hours, windows=WINDOWS)


@bp.get("/dead-letters")
@signin_required
def dead_letters() -> ResponseReturnValue:
    """Each consumer's dead letters, with replay and discard."""
    gate("/api/orders/ops/summary", {"hours": "1"})
    letters = {name: panel(f"{PREFIXES[name]}/ops/dead-letters") for name in BACKBONE_SERVICES}
    return render_template("ops/dead_letters.html", letters=letters)


@bp.post("/dead-letters/<service>/<int:letter_id>/<any(replay, discard):action>")
@signin_required
def settle_dead_letter(service: str, letter_id: int, action: str) -> ResponseReturnValue:
    """Replay or discard one dead letter (the service runs workers.deadletters' code)."""
    if service not in PREFIXES:
        abort(404)
    response = api().post(f"{PREFIXES[service]}/ops/dead-letters/{letter_id}/{action}")
    if response.status in {401, 403}:
        abort(404)
    if response.ok:
        done = "replayed" if action == "replay" else "discarded"
        flash(f"Dead letter {letter_id} of {service} {done}.")
    else:
        flash(f"Dead letter {letter_id} of {service}: {response.problem().detail}")
    return redirect(url_for("ops.dead_letters"))


@bp.get("/backlogs")
@signin_required
def backlogs() -> ResponseReturnValue:
    """Consumer lag per durable consumer, outbox backlog and age, Dramatiq queues."""
    gate("/api/orders/ops/summary", {"hours": "1"})
    found = {name: panel(f"{PREFIXES[name]}/ops/backlog") for name in BACKBONE_SERVICES}
    return render_template("ops/backlogs.html", backlogs=found, waiting_room=panel(WAITING_ROOM))


@bp.app_template_filter("duration")
def duration(seconds: Any) -> str:
    """Seconds as an operator reads them: 0.42 s, 12.0 s, 3.5 min, 2.0 h; — for none."""
    if seconds is None:
        return "—"
    value = float(seconds)
    if value < 60:
        return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"
    if value < 3600:
        return f"{value / 60:.1f} min"
    return f"{value / 3600:.1f} h"
