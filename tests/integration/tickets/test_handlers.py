"""Order events lock, unlock and sell tickets: idempotent, and safe when reordered."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import insert, select, text

from api.tickets.models import ClosedOrder
from common.db import Database
from common.events.catalogue import (
    ORDER_CANCELLED,
    ORDER_COMPLETED,
    ORDER_CREATED,
    TICKET_CREATED,
    TICKET_UPDATED,
)
from tests.integration.tickets.conftest import deliver, order_event, outbox_rows
from tests.integration.workers.support import run_housekeeping
from workers.consumers import Outcome
from workers.relay import RelaySettings
from workers.tickets.handlers import HANDLERS

Create = Callable[..., dict[str, Any]]


@pytest.fixture
def ticket(create_ticket: Create) -> dict[str, Any]:
    return create_ticket("Concert", "20.00")


def shown(client: FlaskClient, ticket: dict[str, Any]) -> tuple[str, str | None, int]:
    body = client.get(f"/api/tickets/{ticket['id']}").json
    return body["status"], body["orderId"], body["version"]


def test_the_table_handles_exactly_the_order_events_tickets_cares_about() -> None:
    assert set(HANDLERS) == {ORDER_CREATED, ORDER_CANCELLED, ORDER_COMPLETED}


def test_a_created_order_locks_the_ticket_and_records_the_update(
    client: FlaskClient, db: Database, ticket: dict[str, Any]
) -> None:
    order_id = uuid.uuid4()
    assert deliver(db, order_event(ORDER_CREATED, ticket["id"], order_id)) is Outcome.APPLIED
    assert shown(client, ticket) == ("locked", str(order_id), 2)
    last = outbox_rows(db, ticket["id"])[-1]
    assert last["type"] == TICKET_UPDATED
    assert (last["data"]["orderId"], last["data"]["sold"], last["data"]["version"]) == (
        str(order_id),
        False,
        2,
    )


def test_the_same_event_delivered_twice_is_applied_once(
    client: FlaskClient, db: Database, ticket: dict[str, Any]
) -> None:
    event = order_event(ORDER_CREATED, ticket["id"])
    assert deliver(db, event) is Outcome.APPLIED
    assert deliver(db, event) is Outcome.IGNORED
    assert shown(client, ticket)[2] == 2


def test_a_second_created_event_for_the_same_order_is_a_no_op(
    client: FlaskClient, db: Database, ticket: dict[str, Any]
) -> None:
    order_id = uuid.uuid4()
    deliver(db, order_event(ORDER_CREATED, ticket["id"], order_id))
    assert deliver(db, order_event(ORDER_CREATED, ticket["id"], order_id)) is Outcome.IGNORED
    assert shown(client, ticket) == ("locked", str(order_id), 2)
    assert len(outbox_rows(db, ticket["id"])) == 2


def test_cancelling_the_holding_order_unlocks_the_ticket(
    client: FlaskClient, db: Database, ticket: dict[str, Any]
) -> None:
    order_id = uuid.uuid4()
    deliver(db, order_event(ORDER_CREATED, ticket["id"], order_id))
    outcome = deliver(db, order_event(ORDER_CANCELLED, ticket["id"], order_id, version=2))
    assert outcome is Outcome.APPLIED
    assert shown(client, ticket) == ("available", None, 3)
    assert outbox_rows(db, ticket["id"])[-1]["data"]["orderId"] is None


def test_a_stale_cancel_does_not_unlock_a_newer_orders_lock(
    client: FlaskClient, db: Database, ticket: dict[str, Any]
) -> None:
    first, second = uuid.uuid4(), uuid.uuid4()
    deliver(db, order_event(ORDER_CREATED, ticket["id"], first))
    deliver(db, order_event(ORDER_CANCELLED, ticket["id"], first, version=2))
    deliver(db, order_event(ORDER_CREATED, ticket["id"], second))
    stale = order_event(ORDER_CANCELLED, ticket["id"], first, version=2)
    assert deliver(db, stale) is Outcome.IGNORED
    assert shown(client, ticket) == ("locked", str(second), 4)


def test_a_completed_order_sells_the_ticket_and_keeps_the_order(
    client: FlaskClient, db: Database, ticket: dict[str, Any]
) -> None:
    order_id = uuid.uuid4()
    deliver(db, order_event(ORDER_CREATED, ticket["id"], order_id))
    outcome = deliver(db, order_event(ORDER_COMPLETED, ticket["id"], order_id, version=3))
    assert outcome is Outcome.APPLIED
    assert shown(client, ticket) == ("sold", str(order_id), 3)
    assert outbox_rows(db, ticket["id"])[-1]["data"]["sold"] is True
    again = order_event(ORDER_COMPLETED, ticket["id"], order_id, version=3)
    assert deliver(db, again) is Outcome.IGNORED


def test_a_late_cancel_never_unsells_a_ticket(
    client: FlaskClient, db: Database, ticket: dict[str, Any]
) -> None:
    order_id = uuid.uuid4()
    deliver(db, order_event(ORDER_CREATED, ticket["id"], order_id))
    deliver(db, order_event(ORDER_COMPLETED, ticket["id"], order_id, version=3))
    assert deliver(db, order_event(ORDER_CANCELLED, ticket["id"], order_id)) is Outcome.IGNORED
    assert shown(client, ticket) == ("sold", str(order_id), 3)


def test_a_created_event_arriving_after_its_cancel_never_locks_the_ticket(
    client: FlaskClient, db: Database, ticket: dict[str, Any]
) -> None:
    order_id = uuid.uuid4()
    cancelled = deliver(db, order_event(ORDER_CANCELLED, ticket["id"], order_id, version=2))
    assert cancelled is Outcome.IGNORED
    assert deliver(db, order_event(ORDER_CREATED, ticket["id"], order_id)) is Outcome.IGNORED
    assert shown(client, ticket) == ("available", None, 1)
    with db.transaction() as session:
        closed = session.scalar(select(ClosedOrder).where(ClosedOrder.order_id == order_id))
    assert closed is not None and closed.outcome == "cancelled"


def test_a_completion_overtaking_its_creation_sells_and_the_late_creation_is_ignored(
    client: FlaskClient, db: Database, ticket: dict[str, Any]
) -> None:
    order_id = uuid.uuid4()
    completed = order_event(ORDER_COMPLETED, ticket["id"], order_id, version=3)
    assert deliver(db, completed) is Outcome.APPLIED
    assert deliver(db, order_event(ORDER_CREATED, ticket["id"], order_id)) is Outcome.IGNORED
    assert shown(client, ticket) == ("sold", str(order_id), 2)


def test_a_new_order_waits_while_the_previous_orders_cancel_is_still_in_flight(
    client: FlaskClient, db: Database, ticket: dict[str, Any]
) -> None:
    old, new = uuid.uuid4(), uuid.uuid4()
    deliver(db, order_event(ORDER_CREATED, ticket["id"], old))
    created = order_event(ORDER_CREATED, ticket["id"], new)
    assert deliver(db, created) is Outcome.RETRY_LATER
    deliver(db, order_event(ORDER_CANCELLED, ticket["id"], old, version=2))
    assert deliver(db, created) is Outcome.APPLIED
    assert shown(client, ticket) == ("locked", str(new), 4)


def test_an_event_for_an_unknown_ticket_is_ignored(db: Database) -> None:
    assert deliver(db, order_event(ORDER_CREATED, str(uuid.uuid4()))) is Outcome.IGNORED


def test_order_events_never_change_title_price_or_seller(
    db: Database, ticket: dict[str, Any]
) -> None:
    order_id = uuid.uuid4()
    deliver(db, order_event(ORDER_CREATED, ticket["id"], order_id))
    deliver(db, order_event(ORDER_COMPLETED, ticket["id"], order_id, version=3))
    rows = outbox_rows(db, ticket["id"])
    assert rows[0]["type"] == TICKET_CREATED
    for row in rows[1:]:
        assert {k: row["data"][k] for k in ("title", "priceCents", "sellerId")} == {
            "title": "Concert",
            "priceCents": 2000,
            "sellerId": ticket["sellerId"],
        }


def test_closed_orders_are_forgotten_once_no_order_event_can_return(
    db: Database, tickets_env: dict[str, str]
) -> None:
    with db.transaction() as session:
        for days in (9, 2):
            session.execute(
                insert(ClosedOrder).values(
                    order_id=uuid.UUID(int=days),
                    ticket_id=uuid.uuid4(),
                    outcome="cancelled",
                    closed_at=text(f"now() - interval '{days} days'"),
                )
            )
    # The stream keeps messages 7 days: an orders.created 8 days old cannot arrive any more.
    run_housekeeping(RelaySettings(service="tickets", database_url=tickets_env["DATABASE_URL"]))
    with db.transaction() as session:
        assert set(session.scalars(select(ClosedOrder.order_id))) == {uuid.UUID(int=2)}
