"""The orders service's replica of tickets, fed by tickets.created/updated snapshots."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from api.orders.models import TICKETS
from common.events.versions import VersionCheck, VersionedReplica

_REPLICA = VersionedReplica(TICKETS)


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
    """Store version N of a ticket only on top of N-1 (version 1 on no row)."""
    return _REPLICA.apply(session, uuid.UUID(str(data["id"])), _columns(data))
