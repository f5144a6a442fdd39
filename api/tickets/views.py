"""HTTP routes of the tickets service: parse, call one use case, serialise."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from api.tickets.models import Ticket, TicketFields
from api.tickets.schemas import (
    ListQuerySchema,
    PageQuerySchema,
    TicketInputSchema,
    TicketPageSchema,
    TicketSchema,
)
from api.tickets.services import TicketService
from common.auth.current_user import CurrentUser, require_user
from common.clock import isoformat_z
from common.errors import FieldError, ValidationFailed
from common.http.docs import SECURITY
from common.http.idempotency import idempotent
from common.http.problems import documents_problem
from common.money import format_cents
from common.pagination import Page, PageRequest

blp = Blueprint(
    "tickets",
    __name__,
    url_prefix="/api/tickets",
    description="Tickets for sale: list, show, create and edit.",
)

F = TypeVar("F", bound=Callable[..., Any])
TICKET_ID = [
    {
        "in": "path",
        "name": "ticket_id",
        "required": True,
        "schema": {"type": "string", "format": "uuid"},
    }
]


# The one problem-documenting helper (common.http.problems), bound to this blueprint.
problem = functools.partial(documents_problem, blp)


def service() -> TicketService:
    return current_app.extensions["ticket_service"]  # type: ignore[no-any-return]  # Flask's extensions dict holds Any


def signed_in(view: F) -> F:
    """Check the caller before the body is parsed, so anonymous callers get 401 first."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return view(*args, user=require_user(), **kwargs)

    return wrapper  # type: ignore[return-value]  # wraps keeps the view's signature


def ticket_id_from(raw: str) -> uuid.UUID:
    """A path id, or a 422 naming the field."""
    try:
        return uuid.UUID(raw)
    except ValueError as exc:
        raise ValidationFailed(errors=[FieldError("Not a valid UUID.", "id")]) from exc


def ticket_body(ticket: TicketFields) -> dict[str, Any]:
    return {
        "id": ticket.id,
        "title": ticket.title,
        "price": format_cents(ticket.price_cents),
        "currency": ticket.currency,
        "sellerId": ticket.seller_id,
        "orderId": ticket.order_id,
        "status": ticket.reservation.status,
        "version": ticket.version,
        "createdAt": isoformat_z(ticket.created_at),
        "updatedAt": isoformat_z(ticket.updated_at),
    }


def page_body(page: Page[Ticket]) -> dict[str, Any]:
    return {"items": [ticket_body(t) for t in page.items], "nextCursor": page.next_cursor}


def page_request(query: dict[str, Any]) -> PageRequest:
    return PageRequest(after=query.get("cursor"), limit=query["limit"])


@blp.route("")
class Tickets(MethodView):
    @blp.doc(operationId="listTickets")
    @blp.arguments(ListQuerySchema, location="query")
    @blp.response(200, TicketPageSchema)
    @problem(422, "Bad cursor, limit or sellerId")
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """Available tickets, newest first; with sellerId, that seller's tickets in any status."""
        seller_id = query.get("sellerId")
        if seller_id is None:
            return page_body(service().available(page_request(query)))
        return page_body(service().of_seller(seller_id, page_request(query)))

    @idempotent(blp)
    @blp.doc(operationId="createTicket")
    @blp.doc(security=SECURITY)
    @blp.response(201, TicketSchema)
    @problem(401, "Not signed in (or cookie without X-CSRF-Token)")
    @problem(422, "Invalid title or price (one entry per field)")
    @signed_in
    @blp.arguments(TicketInputSchema)
    def post(
        self, body: dict[str, Any], user: CurrentUser
    ) -> tuple[dict[str, Any], int, dict[str, str]]:
        """Sell a ticket."""
        ticket = service().create(user.id, body["title"], body["price"])
        return ticket_body(ticket), 201, {"Location": f"/api/tickets/{ticket.id}"}


@blp.route("/mine")
class MyTickets(MethodView):
    @blp.doc(operationId="listMyTickets")
    @blp.doc(security=SECURITY)
    @blp.response(200, TicketPageSchema)
    @problem(401, "Not signed in")
    @problem(422, "Bad cursor or limit")
    @signed_in
    @blp.arguments(PageQuerySchema, location="query")
    def get(self, query: dict[str, Any], user: CurrentUser) -> dict[str, Any]:
        """The tickets I sell, in every status, newest first."""
        return page_body(service().of_seller(user.id, page_request(query)))


@blp.route("/<ticket_id>", parameters=TICKET_ID)
class TicketById(MethodView):
    @blp.doc(operationId="getTicket")
    @blp.response(200, TicketSchema)
    @problem(404, "No such ticket")
    @problem(422, "The id is not a UUID")
    def get(self, ticket_id: str) -> dict[str, Any]:
        """One ticket, in any status."""
        return ticket_body(service().get(ticket_id_from(ticket_id)))

    @blp.doc(operationId="updateTicket")
    @blp.doc(security=SECURITY)
    @blp.response(200, TicketSchema)
    @problem(401, "Not signed in (or cookie without X-CSRF-Token)")
    @problem(403, "Only the seller edits a ticket")
    @problem(404, "No such ticket")
    @problem(409, "Locked by an order, sold, or changed meanwhile")
    @problem(422, "Invalid id, title or price (one entry per field)")
    @signed_in
    @blp.arguments(TicketInputSchema)
    def put(self, body: dict[str, Any], ticket_id: str, user: CurrentUser) -> dict[str, Any]:
        """Change a ticket's title and price (seller only, while nobody has reserved it)."""
        ticket = service().edit(ticket_id_from(ticket_id), user.id, body["title"], body["price"])
        return ticket_body(ticket)
