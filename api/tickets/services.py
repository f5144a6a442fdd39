"""Use cases of the tickets API; each runs in one database transaction."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from api.tickets import repository
from api.tickets.domain import ensure_editable
from api.tickets.models import Ticket, TicketRow
from common.clock import Clock
from common.db import Database
from common.errors import Conflict, NotFound
from common.money import DEFAULT_CURRENCY
from common.pagination import Page, PageRequest

CHANGED_MEANWHILE = "The ticket changed meanwhile; reload it and retry."


class TicketService:
    """List, show, create and edit tickets."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db, self.clock = db, clock

    def create(self, seller_id: uuid.UUID, title: str, price_cents: int) -> Ticket:
        """List a new ticket for sale."""
        now = self.clock.now()
        ticket = Ticket(
            id=uuid.uuid4(),
            title=title,
            price_cents=price_cents,
            currency=DEFAULT_CURRENCY,
            seller_id=seller_id,
            order_id=None,
            sold=False,
            version=1,
            created_at=now,
            updated_at=now,
        )
        with self.db.transaction() as session:
            repository.insert(session, ticket, self.clock)
        return ticket

    def edit(
        self, ticket_id: uuid.UUID, editor_id: uuid.UUID, title: str, price_cents: int
    ) -> TicketRow:
        """Change title and price: seller only, never while locked or sold, never blindly."""
        with self.db.transaction() as session:
            ticket = self._get(session, ticket_id)
            ensure_editable(ticket.seller_id, ticket.reservation, editor_id)
            saved = repository.save(
                session, ticket, self.clock, title=title, price_cents=price_cents
            )
            if saved is None:
                # Say why when we can: an order may have locked it while we were editing.
                current = self._get(session, ticket_id)
                ensure_editable(current.seller_id, current.reservation, editor_id)
                raise Conflict(CHANGED_MEANWHILE)
        return saved

    def get(self, ticket_id: uuid.UUID) -> Ticket:
        """One ticket in any status."""
        with self.db.transaction() as session:
            return self._get(session, ticket_id)

    def available(self, page: PageRequest) -> Page[Ticket]:
        """Tickets for sale, newest first."""
        with self.db.transaction() as session:
            return repository.available_page(session, page)

    def of_seller(self, seller_id: uuid.UUID, page: PageRequest) -> Page[Ticket]:
        """A seller's tickets in every status, newest first."""
        with self.db.transaction() as session:
            return repository.seller_page(session, seller_id, page)

    @staticmethod
    def _get(session: Session, ticket_id: uuid.UUID) -> Ticket:
        ticket = repository.find(session, ticket_id)
        if ticket is None:
            raise NotFound("No ticket with this id.")
        return ticket
