"""Reading and writing tickets; every write bumps the version and records its event."""

from __future__ import annotations

import functools
import uuid
from typing import Any

from sqlalchemy import Select, bindparam, select, tuple_, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import ReturningUpdate

from api.tickets.models import OUTBOX, TICKETS, Ticket, TicketFields, TicketRow
from common.clock import Clock
from common.events.catalogue import TICKET_CREATED, TICKET_UPDATED
from common.events.envelope import new_event
from common.outbox import record
from common.pagination import Cursor, Page, PageRequest


def snapshot(ticket: TicketFields) -> dict[str, Any]:
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


# Statements of the hot paths (every order event locks, unlocks or sells a ticket) are built
# once: building one costs more CPU than PostgreSQL spends running it.
_FIND = (
    select(Ticket)
    .where(Ticket.id == bindparam("ticket_id"))
    .execution_options(populate_existing=True)
)
_LOCK = select(*TICKETS.c).where(TICKETS.c.id == bindparam("ticket_id")).with_for_update()


def find(session: Session, ticket_id: uuid.UUID) -> Ticket | None:
    """The ticket as committed right now (never a stale copy from the session)."""
    return session.scalars(_FIND, {"ticket_id": ticket_id}).one_or_none()


def lock(session: Session, ticket_id: uuid.UUID) -> TicketRow | None:
    """The ticket's row, locked until the transaction ends (the consumer's hot path)."""
    row = session.execute(_LOCK, {"ticket_id": ticket_id}).one_or_none()
    return None if row is None else TicketRow(**row._mapping)


def insert(session: Session, ticket: Ticket, clock: Clock) -> None:
    """Add a new ticket (version 1) and record tickets.created."""
    session.add(ticket)
    session.flush()
    record(session, OUTBOX, new_event(TICKET_CREATED, snapshot(ticket), clock=clock), ticket.id)


def save(session: Session, ticket: TicketFields, clock: Clock, **changes: Any) -> TicketRow | None:
    """Apply changes if nobody changed the ticket since it was read; None when someone did."""
    params = {
        **changes,
        "ticket_id": ticket.id,
        "read_version": ticket.version,
        "version": ticket.version + 1,
        "updated_at": clock.now(),
    }
    row = session.execute(_save_statement(tuple(sorted(changes))), params).one_or_none()
    if row is None:
        return None
    saved = TicketRow(**row._mapping)
    record(session, OUTBOX, new_event(TICKET_UPDATED, snapshot(saved), clock=clock), saved.id)
    return saved


@functools.cache
def _save_statement(changed: tuple[str, ...]) -> ReturningUpdate[Any]:
    """UPDATE of the `changed` columns, the version and updated_at, if the version is unchanged.

    On the table, not the mapped class: a mapped object the session holds keeps its old
    values, so callers use the row this returns.
    """
    columns = TICKETS.c
    return (
        update(TICKETS)
        .where(columns.id == bindparam("ticket_id"), columns.version == bindparam("read_version"))
        .values(
            {
                name: bindparam(name, type_=columns[name].type)
                for name in (*changed, "version", "updated_at")
            }
        )
        .returning(*columns)
    )


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
