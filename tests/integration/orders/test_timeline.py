"""An order's timeline and cancellation reason, as the buyer reads them, for every saga path."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from api.orders.models import OUTBOX
from common.clock import FrozenClock
from common.db import Database
from common.events.envelope import Envelope
from tests.integration.orders.conftest import order_ticket
from tests.integration.orders.saga_events import declined, expired, paid, refunded, started
from workers.consumers import Outcome, handle_message
from workers.orders.handlers import make_handlers
from workers.orders.sweep import sweep_once

Auth = Callable[[uuid.UUID], dict[str, str]]
Deliver = Callable[[Envelope], Outcome]
Events = Callable[[], list[dict[str, Any]]]
RESERVED = [("reserve", "ok"), ("await_payment", "ok")]


class Buyer:
    """A buyer with one fresh order, reading it back through the API."""

    def __init__(self, client: FlaskClient, headers: dict[str, str], order: dict[str, Any]):
        self.client, self.headers, self.order = client, headers, order
        self.id: str = order["id"]

    def read(self) -> dict[str, Any]:
        response = self.client.get(f"/api/orders/{self.id}", headers=self.headers)
        assert response.status_code == 200
        return response.json  # type: ignore[no-any-return]  # JSON and Flask extensions are Any

    def steps(self) -> list[tuple[str, str]]:
        return [(entry["step"], entry["outcome"]) for entry in self.read()["timeline"]]

    def last(self) -> dict[str, Any]:
        return self.read()["timeline"][-1]  # type: ignore[no-any-return]  # JSON and Flask extensions are Any


@pytest.fixture
def deliver(db: Database, clock: FrozenClock) -> Deliver:
    handlers = make_handlers(clock)
    return lambda event: handle_message(db, OUTBOX, handlers, event)


@pytest.fixture
def buyer(client: FlaskClient, seed_ticket: Callable[..., uuid.UUID], auth: Auth) -> Buyer:
    headers = auth(uuid.uuid4())
    return Buyer(client, headers, order_ticket(client, headers, seed_ticket(price_cents=2500)))


def test_a_new_order_says_the_ticket_is_reserved_and_until_when_to_pay(buyer: Buyer) -> None:
    body = buyer.read()
    assert body["reason"] is None and body["reasonDetail"] is None
    assert body["timeline"] == [
        {
            "step": "reserve",
            "outcome": "ok",
            "attempt": 1,
            "at": "2026-11-24T20:00:00.000Z",
            "detail": "The ticket is reserved for you.",
        },
        {
            "step": "await_payment",
            "outcome": "ok",
            "attempt": 1,
            "at": "2026-11-24T20:00:00.000Z",
            "detail": "Pay by 2026-11-24 20:15:00 UTC or the order expires.",
        },
    ]


def test_a_paid_order_tells_reserve_then_charge_then_complete(
    buyer: Buyer, deliver: Deliver, clock: FrozenClock, outbox: Events
) -> None:
    clock.advance(30)
    assert deliver(started(buyer.id)) is Outcome.APPLIED
    assert buyer.read()["status"] == "awaiting_payment"
    clock.advance(2)
    assert deliver(paid(buyer.id)) is Outcome.APPLIED
    body = buyer.read()
    assert (body["status"], body["version"], body["reason"]) == ("complete", 3, None)
    assert buyer.steps() == [*RESERVED, ("charge", "ok"), ("complete", "ok")]
    charge, complete = body["timeline"][2:]
    assert charge["at"] == "2026-11-24T20:00:30.000Z"
    assert charge["detail"] == "Payment submitted; waiting for the card to be charged."
    assert complete["at"] == "2026-11-24T20:00:32.000Z"
    assert complete["detail"] == "Paid 25.00 USD; the ticket is yours."
    assert [e["type"] for e in outbox()] == ["orders.created", "orders.updated", "orders.completed"]


def test_a_declined_payment_cancels_the_order_with_the_card_issuers_message(
    buyer: Buyer, deliver: Deliver, outbox: Events
) -> None:
    deliver(started(buyer.id))
    assert deliver(declined(buyer.id, "Your card has insufficient funds.")) is Outcome.APPLIED
    body = buyer.read()
    assert body["status"] == "cancelled"
    assert body["reason"] == "payment_declined"
    assert body["reasonDetail"] == "Your card has insufficient funds."
    assert buyer.steps() == [
        *RESERVED,
        ("charge", "ok"),
        ("charge", "failed"),
        ("unlock", "compensated"),
    ]
    assert body["timeline"][3]["detail"] == "Your card has insufficient funds."
    assert body["timeline"][4]["detail"] == "The ticket is released for other buyers."
    cancelled = outbox()[-1]
    assert cancelled["type"] == "orders.cancelled"
    assert cancelled["data"]["reason"] == "payment_declined"


def test_a_buyer_cancelling_reads_why_in_the_response_and_the_timeline(
    buyer: Buyer, clock: FrozenClock
) -> None:
    clock.advance(60)
    response = buyer.client.post(f"/api/orders/{buyer.id}/cancel", headers=buyer.headers)
    assert response.status_code == 200
    body = response.json
    assert (body["status"], body["reason"]) == ("cancelled", "cancelled_by_buyer")
    assert body["reasonDetail"] == "Cancelled by the buyer."
    assert [(e["step"], e["outcome"]) for e in body["timeline"]] == [
        *RESERVED,
        ("cancel", "ok"),
        ("unlock", "compensated"),
    ]
    assert body["timeline"][2]["at"] == "2026-11-24T20:01:00.000Z"
    assert buyer.read() == body


def test_cancelling_twice_is_refused_and_writes_nothing(buyer: Buyer) -> None:
    first = buyer.client.post(f"/api/orders/{buyer.id}/cancel", headers=buyer.headers)
    assert first.status_code == 200
    again = buyer.client.post(f"/api/orders/{buyer.id}/cancel", headers=buyer.headers)
    assert again.status_code == 409
    assert len(buyer.read()["timeline"]) == 4


def test_an_expiry_event_cancels_the_unpaid_order_and_says_so(
    buyer: Buyer, deliver: Deliver, clock: FrozenClock
) -> None:
    clock.advance(900)
    assert deliver(expired(buyer.id)) is Outcome.APPLIED
    body = buyer.read()
    assert (body["status"], body["reason"]) == ("cancelled", "expired")
    assert body["reasonDetail"] == "Not paid in time: the order expired."
    assert buyer.steps() == [*RESERVED, ("expire", "ok"), ("unlock", "compensated")]
    assert body["timeline"][2]["at"] == "2026-11-24T20:15:00.000Z"


def test_the_sweep_cancels_an_overdue_order_and_the_timeline_names_it(
    buyer: Buyer, db: Database, clock: FrozenClock, outbox: Events
) -> None:
    clock.advance(899)
    assert sweep_once(db, clock, 100) == 0  # not yet
    clock.advance(1)
    assert sweep_once(db, clock, 100) == 1
    assert sweep_once(db, clock, 100) == 0  # nothing left to do
    body = buyer.read()
    assert (body["status"], body["reason"]) == ("cancelled", "expired")
    assert buyer.steps() == [*RESERVED, ("expire", "ok"), ("unlock", "compensated")]
    assert body["timeline"][2]["detail"] == "Not paid in time: the order expired (sweep)."
    assert [e["type"] for e in outbox()] == ["orders.created", "orders.cancelled"]
    assert outbox()[-1]["data"]["reason"] == "expired"


def test_an_expiry_event_after_the_sweep_changes_nothing(
    buyer: Buyer, deliver: Deliver, db: Database, clock: FrozenClock
) -> None:
    clock.advance(901)
    sweep_once(db, clock, 100)
    assert deliver(expired(buyer.id)) is Outcome.IGNORED
    assert buyer.read()["version"] == 2
    assert len(buyer.read()["timeline"]) == 4


def test_a_payment_after_cancellation_leaves_the_order_cancelled_and_says_a_refund_follows(
    buyer: Buyer, deliver: Deliver, outbox: Events
) -> None:
    deliver(started(buyer.id))
    deliver(expired(buyer.id))
    assert deliver(paid(buyer.id)) is Outcome.APPLIED
    body = buyer.read()
    assert (body["status"], body["reason"]) == ("cancelled", "expired")
    assert body["timeline"][-1] == {
        **body["timeline"][-1],
        "step": "complete",
        "outcome": "skipped",
        "attempt": 1,
        "detail": (
            "Payment of 25.00 USD arrived after the order was cancelled; it will be refunded."
        ),
    }
    assert [e["type"] for e in outbox()][-1] == "orders.cancelled"


def test_a_refund_is_recorded_on_the_timeline_as_a_compensation(
    buyer: Buyer, deliver: Deliver
) -> None:
    deliver(expired(buyer.id))
    deliver(paid(buyer.id))
    assert deliver(refunded(buyer.id, "the order was cancelled")) is Outcome.APPLIED
    assert buyer.steps()[-2:] == [("complete", "skipped"), ("refund", "compensated")]
    assert buyer.last()["detail"] == "Refunded 25.00 USD: the order was cancelled"
    assert buyer.read()["status"] == "cancelled"


def test_a_second_late_payment_is_counted_as_a_second_attempt(
    buyer: Buyer, deliver: Deliver
) -> None:
    deliver(expired(buyer.id))
    deliver(paid(buyer.id))
    deliver(paid(buyer.id))
    late = [e for e in buyer.read()["timeline"] if e["step"] == "complete"]
    assert [(e["outcome"], e["attempt"]) for e in late] == [("skipped", 1), ("skipped", 2)]


def test_a_redelivered_payment_event_is_applied_once(buyer: Buyer, deliver: Deliver) -> None:
    payment = paid(buyer.id)
    assert deliver(payment) is Outcome.APPLIED
    assert deliver(payment) is Outcome.IGNORED
    assert buyer.steps() == [*RESERVED, ("complete", "ok")]


def test_a_payment_reported_before_it_was_started_completes_the_order_and_the_start_is_dropped(
    buyer: Buyer, deliver: Deliver, outbox: Events
) -> None:
    payment_id = str(uuid.uuid4())
    assert deliver(paid(buyer.id, payment_id)) is Outcome.APPLIED
    assert deliver(started(buyer.id, payment_id)) is Outcome.IGNORED
    body = buyer.read()
    assert (body["status"], body["version"]) == ("complete", 2)
    assert buyer.steps() == [*RESERVED, ("complete", "ok")]
    assert [e["type"] for e in outbox()] == ["orders.created", "orders.completed"]


def test_a_payment_started_after_cancellation_changes_nothing(
    buyer: Buyer, deliver: Deliver
) -> None:
    deliver(expired(buyer.id))
    assert deliver(started(buyer.id)) is Outcome.IGNORED
    assert buyer.read()["status"] == "cancelled"
    assert buyer.steps() == [*RESERVED, ("expire", "ok"), ("unlock", "compensated")]


def test_a_decline_reported_after_the_order_was_paid_changes_nothing(
    buyer: Buyer, deliver: Deliver
) -> None:
    deliver(paid(buyer.id))
    assert deliver(declined(buyer.id)) is Outcome.IGNORED
    body = buyer.read()
    assert (body["status"], body["reason"]) == ("complete", None)
    assert buyer.steps() == [*RESERVED, ("complete", "ok")]


def test_events_about_an_unknown_order_are_ignored(deliver: Deliver, outbox: Events) -> None:
    unknown = str(uuid.uuid4())
    for event in (started(unknown), paid(unknown), declined(unknown), refunded(unknown)):
        assert deliver(event) is Outcome.IGNORED
    assert outbox() == []
