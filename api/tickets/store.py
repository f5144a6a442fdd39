"""Reading and writing tickets; every write bumps the version and records its event."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, select, tuple_, update
from sqlalchemy.orm import Session

from api.tickets.models import OUTBOX, Ticket
from api.tickets.pagination import Cursor, Page, PageRequest
from common.clock import Clock
from common.events.catalogue import TICKET_CREATED, TICKET_UPDATED
from common.events.envelope import new_event
from common.outbox import record


def snapshot(ticket: Ticket) -> dict[str, Any]:
    """The full state of a ticket as tickets.created / tickets.updated carry it."""
    return {
        "id": str(ticket.id),
        "version": ticket.version,
        "title": ticket.title,
        "priceCents": ticket.price_cents,
        "currency": ticket.currency,
        "sellerId": str(ticket.seller_id),
        "orderId": None if ticket.order_id is None else str(ticket.order_id),
        "sold": ticket.sold,
    }


def find(session: Session, ticket_id: uuid.UUID, *, for_update: bool = False) -> Ticket | None:
    """The ticket as committed right now (never a stale copy from the session)."""
    query = select(Ticket).where(Ticket.id == ticket_id).execution_options(populate_existing=True)
    if for_update:
        query = query.with_for_update()
    return session.scalars(query).one_or_none()


def insert(session: Session, ticket: Ticket, clock: Clock) -> None:
    """Add a new ticket (version 1) and record tickets.created."""
    session.add(ticket)
    session.flush()
    record(session, OUTBOX, new_event(TICKET_CREATED, snapshot(ticket), clock=clock), ticket.id)


def save(session: Session, ticket: Ticket, clock: Clock, **changes: Any) -> Ticket | None:
    """Apply changes if nobody changed the ticket since it was read; None when someone did."""
    statement = (
        update(Ticket)
        .where(Ticket.id == ticket.id, Ticket.version == ticket.version)
        .values(**changes, version=ticket.version + 1, updated_at=clock.now())
        .returning(Ticket)
        .execution_options(populate_existing=True)
    )
    saved = session.scalars(statement).one_or_none()
    if saved is not None:
        record(session, OUTBOX, new_event(TICKET_UPDATED, snapshot(saved), clock=clock), saved.id)
    return saved


def available_page(session: Session, page: PageRequest) -> Page[Ticket]:
    """Tickets nobody has locked or bought, newest first."""
    query = select(Ticket).where(Ticket.order_id.is_(None), Ticket.sold.is_(False))
    return _page(session, query, page)


def seller_page(session: Session, seller_id: uuid.UUID, page: PageRequest) -> Page[Ticket]:
    """A seller's tickets in every status, newest first."""
    return _page(session, select(Ticket).where(Ticket.seller_id == seller_id), page)


def _page(session: Session, query: Select[Ticket], page: PageRequest) -> Page[Ticket]:
    if page.after is not None:
        # A row comparison the (created_at DESC, id DESC) indexes answer directly.
        query = query.where(
            tuple_(Ticket.created_at, Ticket.id) < tuple_(page.after.created_at, page.after.id)
        )
    query = query.order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(page.limit + 1)
    rows = list(session.scalars(query))
    items = rows[: page.limit]
    more = len(rows) > page.limit
    next_cursor = Cursor(items[-1].created_at, items[-1].id).encode() if more else None
    return Page(items, next_cursor)
