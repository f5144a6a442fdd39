"""expiration.completed cancels an unpaid order; payments.created completes it."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from api.orders.models import OUTBOX
from common.clock import FrozenClock, isoformat_z
from common.db import Database
from common.events.catalogue import EXPIRATION_COMPLETED, PAYMENT_CREATED
from common.events.envelope import Envelope, new_event
from tests.integration.orders.conftest import order_ticket
from workers.consumers import Outcome, handle_message
from workers.orders.handlers import make_handlers

Auth = Callable[[uuid.UUID], dict[str, str]]
Events = Callable[[], list[dict[str, Any]]]


@pytest.fixture
def deliver(db: Database, clock: FrozenClock) -> Callable[[Envelope], Outcome]:
    handlers = make_handlers(clock)
    return lambda event: handle_message(db, OUTBOX, handlers, event)


@pytest.fixture
def new_order(
    client: FlaskClient, seed_ticket: Callable[..., uuid.UUID], auth: Auth
) -> Callable[[], dict[str, Any]]:
    return lambda: order_ticket(client, auth(uuid.uuid4()), seed_ticket(price_cents=2500))


def expired(order_id: str) -> Envelope:
    return new_event(EXPIRATION_COMPLETED, {"orderId": order_id})


def paid(order_id: str) -> Envelope:
    return new_event(
        PAYMENT_CREATED,
        {
            "id": str(uuid.uuid4()),
            "orderId": order_id,
            "stripeId": "pi_123",
            "amountCents": 2500,
            "currency": "usd",
        },
    )


def status_of(db: Database, order_id: str) -> tuple[str, int]:
    with db.transaction() as session:
        row = session.execute(
            sa.text("SELECT status, version FROM orders WHERE id = :i"), {"i": order_id}
        ).one()
    return row.status, row.version


def set_status(db: Database, order_id: str, status: str) -> None:
    with db.transaction() as session:
        session.execute(
            sa.text("UPDATE orders SET status = :s WHERE id = :i"), {"s": status, "i": order_id}
        )


@pytest.mark.parametrize("unpaid", ["created", "awaiting_payment"])
def test_an_unpaid_order_is_cancelled_when_its_time_is_up(
    db: Database,
    deliver: Callable[[Envelope], Outcome],
    new_order: Callable[[], dict[str, Any]],
    outbox: Events,
    clock: FrozenClock,
    unpaid: str,
) -> None:
    order = new_order()
    set_status(db, order["id"], unpaid)
    clock.advance(900)
    assert deliver(expired(order["id"])) is Outcome.APPLIED
    assert status_of(db, order["id"]) == ("cancelled", 2)
    last = outbox()[-1]
    assert last["type"] == "orders.cancelled"
    assert last["data"] == {
        **outbox()[0]["data"],
        "status": "cancelled",
        "version": 2,
        "reason": "expired",
    }


def test_an_expiry_delivered_twice_cancels_once(
    db: Database,
    deliver: Callable[[Envelope], Outcome],
    new_order: Callable[[], dict[str, Any]],
    outbox: Events,
) -> None:
    order = new_order()
    assert deliver(expired(order["id"])) is Outcome.APPLIED
    assert deliver(expired(order["id"])) is Outcome.IGNORED  # a second expiry event, new id
    assert status_of(db, order["id"]) == ("cancelled", 2)
    assert [e["type"] for e in outbox()] == ["orders.created", "orders.cancelled"]


@pytest.mark.parametrize("finished", ["complete", "cancelled"])
def test_the_expiry_of_a_finished_order_changes_nothing(
    db: Database,
    deliver: Callable[[Envelope], Outcome],
    new_order: Callable[[], dict[str, Any]],
    outbox: Events,
    finished: str,
) -> None:
    order = new_order()
    set_status(db, order["id"], finished)
    assert deliver(expired(order["id"])) is Outcome.IGNORED
    assert status_of(db, order["id"]) == (finished, 1)
    assert len(outbox()) == 1


def test_the_expiry_of_an_unknown_order_is_ignored(
    deliver: Callable[[Envelope], Outcome],
    outbox: Events,
) -> None:
    assert deliver(expired(str(uuid.uuid4()))) is Outcome.IGNORED
    assert outbox() == []


def test_an_expired_order_releases_its_ticket_to_the_next_buyer(
    client: FlaskClient,
    seed_ticket: Callable[..., uuid.UUID],
    auth: Auth,
    deliver: Callable[[Envelope], Outcome],
) -> None:
    ticket_id = seed_ticket()
    first = order_ticket(client, auth(uuid.uuid4()), ticket_id)
    deliver(expired(first["id"]))
    assert order_ticket(client, auth(uuid.uuid4()), ticket_id)["status"] == "created"


@pytest.mark.parametrize("unpaid", ["created", "awaiting_payment"])
def test_a_payment_completes_an_unpaid_order(
    db: Database,
    deliver: Callable[[Envelope], Outcome],
    new_order: Callable[[], dict[str, Any]],
    outbox: Events,
    clock: FrozenClock,
    unpaid: str,
) -> None:
    order = new_order()
    set_status(db, order["id"], unpaid)
    clock.advance(5)
    assert deliver(paid(order["id"])) is Outcome.APPLIED
    assert status_of(db, order["id"]) == ("complete", 2)
    last = outbox()[-1]
    assert last["type"] == "orders.completed"
    assert last["data"]["status"] == "complete"
    assert last["data"]["version"] == 2
    assert last["data"]["reason"] is None
    with db.transaction() as session:
        updated_at = session.execute(
            sa.text("SELECT updated_at FROM orders WHERE id = :i"), {"i": order["id"]}
        ).scalar_one()
    assert isoformat_z(updated_at) == isoformat_z(clock.now())


def test_a_payment_for_a_cancelled_order_does_not_revive_it(
    db: Database,
    deliver: Callable[[Envelope], Outcome],
    new_order: Callable[[], dict[str, Any]],
    outbox: Events,
) -> None:
    order = new_order()
    deliver(expired(order["id"]))
    assert deliver(paid(order["id"])) is Outcome.APPLIED  # noted on the timeline only
    assert status_of(db, order["id"]) == ("cancelled", 2)
    assert [e["type"] for e in outbox()] == ["orders.created", "orders.cancelled"]


def test_a_second_payment_event_for_a_complete_order_changes_nothing(
    db: Database,
    deliver: Callable[[Envelope], Outcome],
    new_order: Callable[[], dict[str, Any]],
) -> None:
    order = new_order()
    assert deliver(paid(order["id"])) is Outcome.APPLIED
    assert deliver(paid(order["id"])) is Outcome.IGNORED
    assert status_of(db, order["id"]) == ("complete", 2)


def test_a_complete_order_holds_its_ticket_for_good(
    client: FlaskClient,
    seed_ticket: Callable[..., uuid.UUID],
    auth: Auth,
    deliver: Callable[[Envelope], Outcome],
) -> None:
    ticket_id = seed_ticket()
    first = order_ticket(client, auth(uuid.uuid4()), ticket_id)
    deliver(paid(first["id"]))
    deliver(expired(first["id"]))
    response = client.post(
        "/api/orders", json={"ticketId": str(ticket_id)}, headers=auth(uuid.uuid4())
    )
    assert response.status_code == 409
    assert response.json["detail"] == "The ticket is already sold."
