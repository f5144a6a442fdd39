"""Orders: my orders, one order with its countdown, receipt or story, and cancelling it."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from web.client import ApiProblem
from web.context import api, signin_required
from web.formatting import seconds_left
from web.forms import FormState

bp = Blueprint("orders", __name__)

PAYABLE = frozenset({"created"})
CANCELLABLE = frozenset({"created", "awaiting_payment"})
DECLINE_REFRESHES = 10
STANDIN_METHODS = (
    ("pm_card_visa", "Visa (succeeds)"),
    ("pm_card_chargeDeclined", "Card declined"),
    ("pm_card_insufficientFunds", "Insufficient funds"),
)


@bp.get("/orders")
@signin_required
def index() -> ResponseReturnValue:
    """My orders, newest first, a page at a time."""
    params = {
        "limit": str(current_app.extensions["web_settings"].page_size),
        "cursor": request.args.get("cursor", ""),
    }
    response = api().get("/api/orders", params)
    if response.status == 422:  # a stale or edited cursor: start again from the first page
        return redirect(url_for("orders.index"))
    page = response.data()
    return render_template("orders/index.html", page=page, cursor=request.args.get("cursor"))


def _declined_refreshes(declined: bool) -> int:
    """How many times the page has refreshed itself after a decline (0 right after it)."""
    if declined:
        return 0
    raw = request.args.get("declined", "")
    return int(raw) if raw.isdigit() else -1


def order_page(
    order_id: uuid.UUID, form: FormState | None = None, *, declined: bool = False
) -> ResponseReturnValue:
    """The order page; `form` carries what a refused payment or cancellation said."""
    order: dict[str, Any] = api().get(f"/api/orders/{order_id}").data()
    form = form or FormState()
    live = order.get("status") in CANCELLABLE
    # Paid, but the order completes when the payment's event reaches orders: wait for it.
    confirming = live and request.args.get("paid") == "1"
    # Declined: the order is cancelled when the failure's event reaches orders. The page
    # refreshes itself (a second apart, a few times) rather than the request waiting.
    refreshes = _declined_refreshes(declined)
    settling = live and 0 <= refreshes < DECLINE_REFRESHES
    if settling:
        confirming = False
    body = render_template(
        "orders/show.html",
        order=order,
        form=form,
        seconds_left=seconds_left(order.get("expiresAt")) if live else 0,
        confirming=confirming,
        settling=settling,
        next_refresh=url_for("orders.show", order_id=order_id, declined=refreshes + 1),
        payable=order.get("status") in PAYABLE and not confirming and not settling,
        cancellable=live and not confirming and not settling,
        standin=current_app.extensions["web_settings"].stripe_standin,
        standin_methods=STANDIN_METHODS,
        timeline=[step for step in order.get("timeline") or [] if isinstance(step, dict)],
    )
    return (body, form.status) if form.invalid else body


@bp.get("/orders/<uuid:order_id>")
@signin_required
def show(order_id: uuid.UUID) -> ResponseReturnValue:
    """One of my orders."""
    return order_page(order_id)


@bp.post("/orders/<uuid:order_id>/cancel")
@signin_required
def cancel(order_id: uuid.UUID) -> ResponseReturnValue:
    """Give up an unpaid order; the ticket goes back on sale."""
    try:
        api().post(f"/api/orders/{order_id}/cancel").data()
    except ApiProblem as problem:
        if problem.status != 409:
            raise
        form = FormState()
        form.add_problem(problem)
        return order_page(order_id, form)
    flash("Your order is cancelled. The ticket is back on sale for others.")
    return redirect(url_for("orders.show", order_id=order_id))
