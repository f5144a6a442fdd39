"""The orders service's replica of tickets, fed by tickets.created/updated snapshots."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from api.orders.models import Ticket
from common.events.versions import VersionCheck, classify_version

FIRST_VERSION = 1


def _columns(data: Mapping[str, Any]) -> dict[str, Any]:
    order_id = data.get("orderId")
    return {
        "version": int(data["version"]),
        "title": str(data["title"]),
        "price_cents": int(data["priceCents"]),
        "currency": str(data["currency"]),
        "seller_id": uuid.UUID(str(data["sellerId"])),
        "sold": bool(data["sold"]),
        "order_id": uuid.UUID(str(order_id)) if order_id else None,
    }


def apply_ticket_snapshot(session: Session, data: Mapping[str, Any]) -> VersionCheck:
    """Store version N of a ticket only on top of N-1 (version 1 on no row).

    STALE (older or the same version again) changes nothing; AHEAD (a predecessor is
    missing) changes nothing either and asks to be retried. The row lock (or the
    primary key, for a first version) serialises concurrent consumers of one ticket.
    """
    ticket_id = uuid.UUID(str(data["id"]))
    columns = _columns(data)
    current = session.scalar(select(Ticket.version).where(Ticket.id == ticket_id).with_for_update())
    verdict = classify_version(current, columns["version"], initial=FIRST_VERSION)
    if verdict is not VersionCheck.APPLY:
        return verdict
    if current is None:
        inserted = session.execute(
            insert(Ticket)
            .values(id=ticket_id, **columns)
            .on_conflict_do_nothing(index_elements=[Ticket.id])
            .returning(Ticket.id)
        ).first()
        return VersionCheck.APPLY if inserted else VersionCheck.STALE
    session.execute(update(Ticket).where(Ticket.id == ticket_id).values(**columns))
    return VersionCheck.APPLY
