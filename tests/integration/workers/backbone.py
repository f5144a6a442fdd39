"""A tiny service of our own to test the backbone: tickets it owns and a replica it consumes.

Run as `python -m tests.integration.workers.backbone` (DATABASE_URL, NATS_URL, EVENTS_*) it is that
service's consumer process.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from common.config import ServiceSettings
from common.db import Database, service_metadata
from common.events import catalogue
from common.events.envelope import Envelope, new_event
from common.events.versions import VersionCheck, classify_version
from common.outbox import add_outbox_tables, record
from workers.consumers import Handler, Outcome, run_consumer

SERVICE = "backbone"
metadata = service_metadata()
TABLES = add_outbox_tables(metadata)

tickets = sa.Table(
    "tickets",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("title", sa.String(200), nullable=False),
)
replica = sa.Table(
    "ticket_replica",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("applied_at", sa.DateTime(timezone=True), server_default=sa.func.clock_timestamp()),
    # How many handler runs changed this row and committed: every event must count once.
    sa.Column("applied", sa.Integer, nullable=False, server_default="1"),
)
# Titles listed here make the handler raise: a poison message, until an operator fixes it.
faults = sa.Table("faults", metadata, sa.Column("title", sa.String(200), primary_key=True))


def ticket_data(ticket_id: uuid.UUID, version: int, title: str) -> dict[str, Any]:
    return {
        "id": str(ticket_id),
        "version": version,
        "title": title,
        "priceCents": 2000,
        "currency": "usd",
        "sellerId": str(uuid.UUID(int=1)),
        "orderId": None,
        "sold": False,
    }


def ticket_event(ticket_id: uuid.UUID, version: int, title: str) -> Envelope:
    kind = catalogue.TICKET_CREATED if version == 1 else catalogue.TICKET_UPDATED
    return new_event(kind, ticket_data(ticket_id, version, title))


def save_ticket(session: Session, ticket_id: uuid.UUID, version: int, title: str) -> Envelope:
    """A use case of the producer: change the row and record its event, in one transaction."""
    session.execute(
        insert(tickets)
        .values(id=ticket_id, version=version, title=title)
        .on_conflict_do_update(
            index_elements=[tickets.c.id], set_={"version": version, "title": title}
        )
    )
    event = ticket_event(ticket_id, version, title)
    record(session, TABLES, event, ticket_id)
    return event


def on_ticket(session: Session, event: Envelope) -> Outcome:
    """Upsert the replica; idempotent by version: only N on top of N-1, older ones ignored."""
    ticket_id, version = uuid.UUID(event.data["id"]), int(event.data["version"])
    title = str(event.data["title"])
    # Only titles starting with "Poison" can be faulty, so healthy events skip the query.
    if (
        title.startswith("Poison")
        and session.execute(sa.select(faults).where(faults.c.title == title)).first()
    ):
        raise RuntimeError(f"poisoned title {title!r}")
    current = session.execute(
        sa.select(replica.c.version).where(replica.c.id == ticket_id).with_for_update()
    ).scalar()
    check = classify_version(current, version)
    if check is VersionCheck.STALE:
        return Outcome.IGNORED
    if check is VersionCheck.AHEAD:
        return Outcome.RETRY_LATER
    session.execute(
        insert(replica)
        .values(id=ticket_id, version=version, title=title)
        .on_conflict_do_update(
            index_elements=[replica.c.id],
            set_={
                "version": version,
                "title": title,
                "applied_at": sa.func.clock_timestamp(),
                "applied": replica.c.applied + 1,
            },
        )
    )
    return Outcome.APPLIED


HANDLERS: Mapping[str, Handler] = {
    catalogue.TICKET_CREATED: on_ticket,
    catalogue.TICKET_UPDATED: on_ticket,
}


def main() -> None:
    settings = ServiceSettings.from_env(SERVICE)
    db = Database.from_url(settings.database_url)
    run_consumer(SERVICE, db, TABLES, HANDLERS, settings)


if __name__ == "__main__":
    main()
