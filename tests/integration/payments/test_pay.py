"""Paying an order: charged once through Stripe, declines, refusals, and bad input."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from common.db import Database
from common.events.catalogue import ORDER_CANCELLED, ORDER_COMPLETED, ORDER_CREATED
from devtools.stripe_standin.server import StandinServer
from tests.integration.payments.conftest import (
    START,
    Auth,
    Deliver,
    intents,
    order_event,
    outbox,
    pay,
    stripe_calls,
    types,
)

NewOrder = Callable[..., uuid.UUID]


def test_paying_an_order_charges_it_and_records_payments_created(
    client: FlaskClient, auth: Auth, new_order: NewOrder, standin: StandinServer, db: Database
) -> None:
    buyer = uuid.uuid4()
    order_id = new_order(buyer, price_cents=2500)

    response = pay(client, auth(buyer), order_id)

    assert response.status_code == 201, response.json
    body = response.json
    assert body["orderId"] == str(order_id)
    assert (body["status"], body["amount"], body["currency"]) == ("succeeded", "25.00", "usd")
    assert body["stripeId"].startswith("pi_")
    assert body["createdAt"] == "2026-11-24T20:00:00.000Z"
    [intent] = intents(standin)
    assert intent["id"] == body["stripeId"]
    assert (intent["amount"], intent["currency"], intent["status"]) == (2500, "usd", "succeeded")
    assert intent["metadata"] == {"orderId": str(order_id), "paymentId": body["id"]}
    [charged] = stripe_calls(standin)
    assert charged["request"]["idempotency_key"] == f"order-{order_id}-charge"
    events = outbox(db)
    assert [e["type"] for e in events] == ["payments.started", "payments.created"]
    assert events[1]["data"] == {
        "id": body["id"],
        "orderId": str(order_id),
        "stripeId": body["stripeId"],
        "amountCents": 2500,
        "currency": "usd",
    }


@pytest.mark.parametrize(
    ("method", "message"),
    [
        ("pm_card_chargeDeclined", "Your card was declined."),
        ("pm_card_insufficientFunds", "Your card has insufficient funds."),
    ],
)
def test_a_declined_card_gets_402_with_stripes_message_and_records_payments_failed(
    client: FlaskClient,
    auth: Auth,
    new_order: NewOrder,
    standin: StandinServer,
    db: Database,
    method: str,
    message: str,
) -> None:
    buyer = uuid.uuid4()
    order_id = new_order(buyer)

    response = pay(client, auth(buyer), order_id, method)

    assert response.status_code == 402
    assert response.content_type == "application/problem+json"
    assert response.json["detail"] == message
    [intent] = intents(standin)
    failed = outbox(db)[-1]
    assert failed["type"] == "payments.failed"
    assert failed["data"]["reason"] == message
    assert failed["data"]["stripeId"] == intent["id"]
    assert failed["data"]["orderId"] == str(order_id)


def test_paying_again_after_a_decline_is_a_conflict_and_charges_nothing_more(
    client: FlaskClient, auth: Auth, new_order: NewOrder, standin: StandinServer
) -> None:
    buyer = uuid.uuid4()
    order_id = new_order(buyer)
    assert pay(client, auth(buyer), order_id, "pm_card_chargeDeclined").status_code == 402

    again = pay(client, auth(buyer), order_id, "pm_card_visa")

    assert again.status_code == 409
    assert "failed" in again.json["detail"]
    assert len(intents(standin)) == 1


def test_a_repeated_payment_request_returns_the_same_payment_without_charging_again(
    client: FlaskClient, auth: Auth, new_order: NewOrder, standin: StandinServer, db: Database
) -> None:
    buyer = uuid.uuid4()
    order_id = new_order(buyer)
    first = pay(client, auth(buyer), order_id)

    second = pay(client, auth(buyer), order_id)

    assert (first.status_code, second.status_code) == (201, 201)
    assert second.json == first.json
    assert len(intents(standin)) == 1
    assert types(db).count("payments.created") == 1


def test_a_repeat_after_the_order_completed_still_gets_the_payment_back(
    client: FlaskClient, auth: Auth, new_order: NewOrder, deliver: Deliver, standin: StandinServer
) -> None:
    buyer = uuid.uuid4()
    order_id = new_order(buyer)
    first = pay(client, auth(buyer), order_id)
    deliver(order_event(ORDER_COMPLETED, order_id, buyer, version=2, status="complete"))

    second = pay(client, auth(buyer), order_id)

    assert second.status_code == 201
    assert second.json["id"] == first.json["id"]
    assert len(intents(standin)) == 1


def test_someone_elses_order_is_forbidden_and_not_charged(
    client: FlaskClient, auth: Auth, new_order: NewOrder, standin: StandinServer
) -> None:
    order_id = new_order(uuid.uuid4())

    response = pay(client, auth(uuid.uuid4()), order_id)

    assert response.status_code == 403
    assert response.json["detail"] == "This order belongs to someone else."
    assert intents(standin) == []


def test_an_unknown_order_gets_409_to_retry_at_once_then_404_once_it_had_time_to_arrive(
    client: FlaskClient, auth: Auth, standin: StandinServer
) -> None:
    headers, order_id = auth(uuid.uuid4()), uuid.uuid4()
    started = time.monotonic()

    first = pay(client, headers, order_id)

    assert time.monotonic() - started < 0.25  # answered at once: no thread waits for the replica
    assert first.status_code == 409
    assert first.headers["Retry-After"] == "1"
    assert first.json["detail"] == "This order has not reached payments yet; try again in a moment."
    time.sleep(0.35)  # PAYMENTS_ORDER_WAIT_MS (300) after the first request
    later = pay(client, headers, order_id)
    assert later.status_code == 404
    assert later.json["errors"] == [{"message": "Unknown order.", "field": "orderId"}]
    assert intents(standin) == []


def test_an_order_reaching_the_replica_after_a_409_is_paid_on_the_retry(
    make_app: Callable[..., Any], auth: Auth, deliver: Deliver, standin: StandinServer
) -> None:
    client = make_app(PAYMENTS_ORDER_WAIT_MS="3000").test_client()
    buyer, order_id = uuid.uuid4(), uuid.uuid4()

    early = pay(client, auth(buyer), order_id)
    deliver(order_event(ORDER_CREATED, order_id, buyer))
    retried = pay(client, auth(buyer), order_id)

    assert early.status_code == 409
    assert "Retry-After" in early.headers
    assert retried.status_code == 201, retried.json
    assert len(intents(standin)) == 1


@pytest.mark.parametrize(
    ("event_type", "status", "detail"),
    [
        (ORDER_CANCELLED, "cancelled", "The order is cancelled; it can no longer be paid."),
        (ORDER_COMPLETED, "complete", "The order is complete; it has been paid already."),
    ],
)
def test_a_cancelled_or_complete_order_gets_409_and_no_charge(
    client: FlaskClient,
    auth: Auth,
    new_order: NewOrder,
    deliver: Deliver,
    standin: StandinServer,
    db: Database,
    event_type: str,
    status: str,
    detail: str,
) -> None:
    buyer = uuid.uuid4()
    order_id = new_order(buyer)
    deliver(order_event(event_type, order_id, buyer, version=2, status=status))

    response = pay(client, auth(buyer), order_id)

    assert response.status_code == 409
    assert response.json["detail"] == detail
    assert intents(standin) == []
    assert types(db) == []


def test_an_order_past_its_expiry_gets_409_and_no_charge(
    client: FlaskClient, auth: Auth, new_order: NewOrder, standin: StandinServer
) -> None:
    buyer = uuid.uuid4()
    order_id = new_order(buyer, expires_at=START - timedelta(seconds=1))

    response = pay(client, auth(buyer), order_id)

    assert response.status_code == 409
    assert response.json["detail"] == (
        "The order expired at 2026-11-24T19:59:59.000Z; it can no longer be paid."
    )
    assert intents(standin) == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"orderId": "not-a-uuid", "paymentMethod": "pm_card_visa"}, "orderId"),
        ({"paymentMethod": "pm_card_visa"}, "orderId"),
        ({"orderId": "{order}"}, "paymentMethod"),
        ({"orderId": "{order}", "paymentMethod": ""}, "paymentMethod"),
        ({"orderId": "{order}", "paymentMethod": "pm card"}, "paymentMethod"),
        ({"orderId": "{order}", "paymentMethod": 42}, "paymentMethod"),
        ({"orderId": "{order}", "paymentMethod": None}, "paymentMethod"),
        ({"orderId": "{order}", "paymentMethod": "p" * 256}, "paymentMethod"),
        ({"orderId": "{order}", "paymentMethod": "pm_card_visa", "amount": 1}, "amount"),
    ],
)
def test_bad_input_is_422_naming_the_field_and_charges_nothing(
    client: FlaskClient,
    auth: Auth,
    new_order: NewOrder,
    standin: StandinServer,
    body: dict[str, Any],
    field: str,
) -> None:
    buyer = uuid.uuid4()
    order_id = new_order(buyer)
    sent = {k: (str(order_id) if v == "{order}" else v) for k, v in body.items()}

    response = client.post("/api/payments", json=sent, headers=auth(buyer))

    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    assert field in {error["field"] for error in response.json["errors"]}
    assert intents(standin) == []


def test_a_body_that_is_not_json_is_refused_as_a_problem(client: FlaskClient, auth: Auth) -> None:
    response = client.post(
        "/api/payments",
        data="orderId=1",
        headers={**auth(uuid.uuid4()), "Content-Type": "application/x-www-form-urlencoded"},
    )

    assert response.status_code == 415
    assert response.content_type == "application/problem+json"


def test_paying_needs_a_signed_in_user(client: FlaskClient, standin: StandinServer) -> None:
    response = client.post(
        "/api/payments", json={"orderId": str(uuid.uuid4()), "paymentMethod": "pm_card_visa"}
    )

    assert response.status_code == 401
    assert intents(standin) == []


def test_a_browser_session_pays_with_the_csrf_header_and_is_refused_without_it(
    client: FlaskClient, issue_token: Callable[..., str], new_order: NewOrder
) -> None:
    buyer = uuid.uuid4()
    order_id = new_order(buyer)
    token = issue_token(buyer, csrf="csrf-value")
    client.set_cookie("access_token_cookie", token)
    body = {"orderId": str(order_id), "paymentMethod": "pm_card_visa"}

    refused = client.post("/api/payments", json=body)
    accepted = client.post("/api/payments", json=body, headers={"X-CSRF-Token": "csrf-value"})

    assert refused.status_code == 401
    assert accepted.status_code == 201


@pytest.mark.parametrize(
    ("method", "price_cents", "message"),
    [
        ("pm_nonexistent", 2000, "No such PaymentMethod: 'pm_nonexistent'"),
        ("pm_card_visa", 10, "Amount must be at least $0.50 usd"),
    ],
)
def test_a_charge_stripe_refuses_for_good_fails_the_payment_with_stripes_message(
    client: FlaskClient,
    auth: Auth,
    new_order: NewOrder,
    db: Database,
    method: str,
    price_cents: int,
    message: str,
) -> None:
    buyer = uuid.uuid4()
    order_id = new_order(buyer, price_cents=price_cents)

    response = pay(client, auth(buyer), order_id, method)

    assert response.status_code == 402
    assert response.json["detail"] == message
    assert types(db) == ["payments.started", "payments.failed"]
