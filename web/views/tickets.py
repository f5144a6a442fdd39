"""Tickets: the list for sale, one ticket, selling, my tickets and editing them."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from web.client import ApiProblem, ApiUnavailable
from web.context import api, current_user, signin_required
from web.forms import FormState
from web.views.waiting_room import BUY_STATUSES, buy_refused, join_line

bp = Blueprint("tickets", __name__)

FIELDS = ("title", "price")
FORM_STATUSES = frozenset({400, 403, 409, 422})


def _page_params() -> dict[str, str]:
    return {
        "limit": str(current_app.extensions["web_settings"].page_size),
        "cursor": request.values.get("cursor", ""),
    }


def _ticket_input(form: FormState) -> dict[str, Any]:
    price = form.value("price").strip().removeprefix("$").strip()
    return {"title": form.value("title"), "price": price}


@bp.get("/")
def home() -> ResponseReturnValue:
    """Tickets for sale, newest first, a page at a time."""
    response = api().get("/api/tickets", _page_params())
    if response.status == 422:  # a stale or edited cursor: start again from the first page
        return redirect(url_for("tickets.home"))
    page = response.data()
    return render_template("home.html", page=page, cursor=request.args.get("cursor"))


@bp.route("/tickets/new", methods=["GET", "POST"])
@signin_required
def new() -> ResponseReturnValue:
    """Put a ticket on sale."""
    form = FormState()
    if request.method == "POST":
        form = FormState.from_request(FIELDS)
        try:
            ticket = api().post("/api/tickets", _ticket_input(form)).data()
        except ApiProblem as problem:
            if problem.status not in FORM_STATUSES:
                raise
            form.add_problem(problem)
        else:
            flash("Your ticket is on sale.")
            return redirect(url_for("tickets.show", ticket_id=ticket["id"]))
    body = render_template("tickets/new.html", form=form)
    return (body, form.status) if form.invalid else body


def _my_order_for(ticket: dict[str, Any], user: dict[str, Any] | None) -> str | None:
    """The id of my order holding this ticket, if the holder is me."""
    order_id = ticket.get("orderId")
    if user is None or not order_id or ticket.get("status") == "available":
        return None
    response = api().get(f"/api/orders/{order_id}")  # 403 when it is someone else's
    return str(order_id) if response.ok else None


def _ticket_page(ticket_id: uuid.UUID, form: FormState | None = None) -> ResponseReturnValue:
    ticket = api().get(f"/api/tickets/{ticket_id}").data()
    user = current_user()
    mine = user is not None and user["id"] == ticket["sellerId"]
    form = form or FormState()
    body = render_template(
        "tickets/show.html",
        ticket=ticket,
        mine=mine,
        my_order=None if mine else _my_order_for(ticket, user),
        form=form,
    )
    return (body, form.status) if form.invalid else body


@bp.get("/tickets/<uuid:ticket_id>")
def show(ticket_id: uuid.UUID) -> ResponseReturnValue:
    """One ticket: what it is, whether it can be bought, and the Buy button."""
    return _ticket_page(ticket_id)


@bp.post("/tickets/<uuid:ticket_id>/buy")
@signin_required
def buy(ticket_id: uuid.UUID) -> ResponseReturnValue:
    """Start buying: an order holds the ticket while the buyer pays."""
    try:
        order = api().post("/api/orders", {"ticketId": str(ticket_id)}).data()
    except ApiProblem as problem:
        if problem.status not in BUY_STATUSES:
            raise
        return _ticket_page(ticket_id, buy_refused(problem))
    except ApiUnavailable as busy:
        if busy.queue_position is not None:
            return join_line(ticket_id)
        if busy.retry_after is None:
            raise
        form = FormState()
        form.alert(
            "So many people are buying right now that we could not take your request. "
            f"Please try again in {busy.retry_after} seconds.",
            503,
        )
        return _ticket_page(ticket_id, form)
    return redirect(url_for("orders.show", order_id=order["id"]))


def _mine_page(edited: str | None = None, form: FormState | None = None) -> ResponseReturnValue:
    page = api().get("/api/tickets/mine", _page_params()).data()
    forms = {
        ticket["id"]: FormState(values={"title": ticket["title"], "price": ticket["price"]})
        for ticket in page["items"]
    }
    # The edited ticket may have moved to another page: then its errors show at the top.
    elsewhere = None
    if edited is not None and form is not None:
        if edited in forms:
            forms[edited] = form
        else:
            elsewhere = form
    body = render_template(
        "tickets/mine.html",
        page=page,
        cursor=request.values.get("cursor") or None,
        forms=forms,
        elsewhere=elsewhere,
    )
    return (body, form.status) if form is not None and form.invalid else body


@bp.get("/tickets/mine")
@signin_required
def mine() -> ResponseReturnValue:
    """The tickets I sell, with their state and a form to change each one."""
    return _mine_page()


@bp.post("/tickets/<uuid:ticket_id>/edit")
@signin_required
def edit(ticket_id: uuid.UUID) -> ResponseReturnValue:
    """Change a ticket's title and price (the API refuses while it is reserved or sold)."""
    form = FormState.from_request(FIELDS)
    try:
        api().put(f"/api/tickets/{ticket_id}", _ticket_input(form)).data()
    except ApiProblem as problem:
        if problem.status not in FORM_STATUSES:
            raise
        form.add_problem(problem)
        return _mine_page(str(ticket_id), form)
    flash("Your changes are saved.")
    cursor = request.form.get("cursor")
    return redirect(url_for("tickets.mine", cursor=cursor) if cursor else url_for("tickets.mine"))
