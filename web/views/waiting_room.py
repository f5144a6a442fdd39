"""The waiting room page: a buyer in line sees their place; once admitted, the purchase goes on.

Buy (a POST with the form token) puts the ticket in the session and, when the orders API
says the buyer has a place in line, sends them here. This page refreshes itself (no
JavaScript needed) at the pace the API asks for; each visit keeps the place. When the line
lets the buyer in, the page reserves the ticket they asked for and shows the order.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, flash, redirect, render_template, session, url_for
from flask.typing import ResponseReturnValue

from web.client import ApiProblem, ApiUnavailable, header_int
from web.context import api, signin_required
from web.forms import FormState

bp = Blueprint("waiting_room", __name__)

WAITING_FOR = "waiting_for_ticket"
# The answers to a reservation the buyer is shown next to the Buy button.
BUY_STATUSES = frozenset({404, 409, 422, 429})


def buy_refused(problem: ApiProblem) -> FormState:
    """The form state that shows why a reservation was refused, and when to try again."""
    form = FormState()
    form.add_problem(problem)
    retry_after = header_int(problem.retry_after)
    if problem.status == 429 and retry_after:
        form.alerts.append(f"You can try again in {wait_words(retry_after)}.")
    return form


def wait_words(seconds: int) -> str:
    """A wait in plain words: "1 second", "20 seconds", "about 3 minutes"."""
    if seconds < 120:
        return f"{seconds} second" + ("" if seconds == 1 else "s")
    return f"about {round(seconds / 60)} minutes"


def join_line(ticket_id: uuid.UUID) -> ResponseReturnValue:
    """Remember what the buyer wants and show them the line."""
    session[WAITING_FOR] = str(ticket_id)
    return redirect(url_for("waiting_room.show"))


def _line_page(ticket_id: str, place: dict[str, Any]) -> ResponseReturnValue:
    refresh = max(1, int(place.get("retryAfter") or 1))
    return render_template(
        "waiting_room.html",
        ticket_id=ticket_id,
        position=place.get("position"),
        wait=wait_words(max(1, int(place.get("waitSeconds") or 0))),
        refresh=refresh,
    )


def _reserve(ticket_id: str) -> ResponseReturnValue:
    """Our turn (or the line is gone): reserve now, or line up again."""
    try:
        order = api().post("/api/orders", {"ticketId": ticket_id}).data()
    except ApiUnavailable as busy:
        if busy.retry_after is None:
            raise
        # In line again, or admitted but the service is busy this second: try again shortly.
        return _line_page(
            ticket_id,
            {"position": busy.queue_position, "retryAfter": busy.retry_after, "waitSeconds": 0},
        )
    except ApiProblem as problem:
        session.pop(WAITING_FOR, None)
        if problem.status not in BUY_STATUSES:
            raise
        for message in buy_refused(problem).alerts:
            flash(message)
        return redirect(url_for("tickets.show", ticket_id=ticket_id))
    session.pop(WAITING_FOR, None)
    flash("It was your turn: the ticket is held for you while you pay.")
    return redirect(url_for("orders.show", order_id=order["id"]))


@bp.get("/waiting-room")
@signin_required
def show() -> ResponseReturnValue:
    """Where I am in line; the purchase itself once the line lets me in."""
    ticket_id = session.get(WAITING_FOR)
    if not isinstance(ticket_id, str):
        return redirect(url_for("tickets.home"))
    place = api().get("/api/orders/waiting-room/me").data()
    if place.get("position") and not place.get("admitted"):
        return _line_page(ticket_id, place)
    return _reserve(ticket_id)
