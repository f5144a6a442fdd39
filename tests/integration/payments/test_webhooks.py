"""Stripe's signed webhooks: verified, applied once, and racing the synchronous answer."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
import stripe
from flask.testing import FlaskClient

from api.payments.models import StripeEvent
from common.db import Database
from devtools.stripe_standin.server import StandinServer
from devtools.stripe_standin.webhooks import signature_header
from tests.integration.payments.conftest import (
    WEBHOOK_SECRET,
    Auth,
    control,
    eventually,
    fail_next,
    intents,
    only_payment,
    pay,
    queued,
    types,
    wait_for_webhooks,
)

NewOrder = Callable[..., uuid.UUID]
# Webhooks wait this long, so the synchronous answer (202) is given before they settle it.
ANSWER_FIRST_MS = 1000


def post_webhook(
    client: FlaskClient, event: dict[str, Any], secret: str = WEBHOOK_SECRET, age: int = 0
) -> Any:
    payload = json.dumps(event).encode()
    signature = signature_header(payload, secret, int(time.time()) - age)
    return client.post(
        "/api/payments/webhook",
        data=payload,
        headers={"Stripe-Signature": signature, "Content-Type": "application/json"},
    )


def stripe_event(event_type: str, obj: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": f"evt_{uuid.uuid4().hex[:24]}",
        "object": "event",
        "type": event_type,
        "data": {"object": obj},
    }


def webhook_statuses(standin: StandinServer) -> list[int | None]:
    return [a["status"] for a in control(standin, "/_standin/webhooks")["attempts"]]


def stored_stripe_events(db: Database) -> list[str]:
    with db.transaction() as session:
        return list(session.scalars(sa.select(StripeEvent.type).order_by(StripeEvent.received_at)))


def test_a_signed_success_webhook_settles_a_payment_whose_answer_was_lost(
    client: FlaskClient,
    auth: Auth,
    new_order: NewOrder,
    standin: StandinServer,
    served: str,
    db: Database,
) -> None:
    control(standin, "/_standin/webhooks", {"delayMs": ANSWER_FIRST_MS})
    buyer = uuid.uuid4()
    order_id = new_order(buyer)
    fail_next(standin, 1, status=500, when="after")

    response = pay(client, auth(buyer), order_id)

    assert response.status_code == 202
    wait_for_webhooks(standin)
    payment = only_payment(db)
    [intent] = intents(standin)
    assert (payment.status, payment.stripe_id) == ("succeeded", intent["id"])
    assert types(db) == ["payments.started", "payments.created"]
    assert webhook_statuses(standin) == [200]


def test_the_same_webhook_delivered_twice_is_applied_once(
    client: FlaskClient,
    auth: Auth,
    new_order: NewOrder,
    standin: StandinServer,
    served: str,
    db: Database,
) -> None:
    control(standin, "/_standin/webhooks", {"duplicates": 2, "delayMs": ANSWER_FIRST_MS})
    buyer = uuid.uuid4()
    order_id = new_order(buyer)
    fail_next(standin, 1, status=500, when="after")

    assert pay(client, auth(buyer), order_id).status_code == 202

    wait_for_webhooks(standin)
    assert webhook_statuses(standin) == [200, 200, 200]
    assert stored_stripe_events(db) == ["payment_intent.succeeded"]
    assert types(db) == ["payments.started", "payments.created"]


def test_a_webhook_arriving_before_the_synchronous_answer_makes_the_only_transition(
    client: FlaskClient,
    auth: Auth,
    new_order: NewOrder,
    standin: StandinServer,
    served: str,
    db: Database,
) -> None:
    buyer = uuid.uuid4()
    order_id = new_order(buyer)
    # Stripe charges, its webhook is delivered, and only then does our call give up.
    fail_next(standin, 1, mode="hang", when="after", hangMs=1500)

    response = pay(client, auth(buyer), order_id)

    assert response.status_code == 201
    assert response.json["status"] == "succeeded"
    assert types(db) == ["payments.started", "payments.created"]
    assert queued() == 0  # settled already: nothing left for the workers


def test_a_webhook_arriving_after_the_synchronous_answer_changes_nothing(
    client: FlaskClient,
    auth: Auth,
    new_order: NewOrder,
    standin: StandinServer,
    served: str,
    db: Database,
) -> None:
    control(standin, "/_standin/webhooks", {"delayMs": 300})
    buyer = uuid.uuid4()
    order_id = new_order(buyer)

    response = pay(client, auth(buyer), order_id)

    assert response.status_code == 201
    wait_for_webhooks(standin)
    assert webhook_statuses(standin) == [200]
    assert stored_stripe_events(db) == ["payment_intent.succeeded"]
    assert types(db) == ["payments.started", "payments.created"]
    assert only_payment(db).version == 2


def test_a_payment_failed_webhook_fails_a_pending_payment_with_stripes_reason(
    client: FlaskClient,
    auth: Auth,
    new_order: NewOrder,
    standin: StandinServer,
    served: str,
    db: Database,
) -> None:
    control(standin, "/_standin/webhooks", {"delayMs": ANSWER_FIRST_MS})
    buyer = uuid.uuid4()
    order_id = new_order(buyer)
    fail_next(standin, 1, status=500, when="after")

    assert pay(client, auth(buyer), order_id, "pm_card_insufficientFunds").status_code == 202

    wait_for_webhooks(standin)
    payment = only_payment(db)
    assert (payment.status, payment.failure_reason) == (
        "failed",
        "Your card has insufficient funds.",
    )
    assert types(db) == ["payments.started", "payments.failed"]


def test_a_refund_made_at_stripe_is_recorded_from_its_webhook(
    client: FlaskClient,
    auth: Auth,
    new_order: NewOrder,
    standin: StandinServer,
    served: str,
    db: Database,
) -> None:
    buyer = uuid.uuid4()
    order_id = new_order(buyer)
    paid = pay(client, auth(buyer), order_id).json
    stripe_client = stripe.StripeClient("sk_test_dashboard", base_addresses={"api": standin.url})

    stripe_client.v1.refunds.create(params={"payment_intent": paid["stripeId"]})

    eventually(lambda: only_payment(db).status == "refunded")
    payment = only_payment(db)
    assert payment.refund_reason == "The charge was refunded at Stripe."
    refunded = [e for e in types(db) if e == "payments.refunded"]
    assert refunded == ["payments.refunded"]


def test_a_signed_event_of_another_kind_is_acknowledged_and_ignored(
    client: FlaskClient, db: Database
) -> None:
    response = post_webhook(client, stripe_event("customer.created", {"id": "cus_123"}))

    assert response.status_code == 200
    assert response.json == {"received": True}
    assert types(db) == []


def test_a_success_for_a_payment_we_do_not_know_is_acknowledged_and_ignored(
    client: FlaskClient, db: Database
) -> None:
    intent = {"id": "pi_unknown", "object": "payment_intent", "metadata": {}}

    response = post_webhook(client, stripe_event("payment_intent.succeeded", intent))

    assert response.status_code == 200
    assert types(db) == []


def test_a_webhook_with_a_wrong_signature_is_refused_as_a_problem(
    client: FlaskClient, db: Database
) -> None:
    event = stripe_event("payment_intent.succeeded", {"id": "pi_1", "metadata": {}})

    response = post_webhook(client, event, secret="whsec_someone_else")

    assert response.status_code == 400
    assert response.content_type == "application/problem+json"
    assert response.json["errors"] == [
        {"message": "Invalid signature.", "field": "Stripe-Signature"}
    ]
    assert stored_stripe_events(db) == []


def test_a_webhook_without_a_signature_is_refused_as_a_problem(client: FlaskClient) -> None:
    response = client.post("/api/payments/webhook", json=stripe_event("charge.refunded", {}))

    assert response.status_code == 400
    assert response.json["detail"] == "The Stripe-Signature header is missing."


def test_a_replayed_webhook_older_than_five_minutes_is_refused(client: FlaskClient) -> None:
    response = post_webhook(client, stripe_event("charge.refunded", {}), age=600)

    assert response.status_code == 400


def test_a_tampered_body_is_refused(client: FlaskClient) -> None:
    payload = json.dumps(stripe_event("charge.refunded", {})).encode()
    signature = signature_header(payload, WEBHOOK_SECRET, int(time.time()))

    response = client.post(
        "/api/payments/webhook",
        data=payload.replace(b"charge.refunded", b"charge.refundex"),
        headers={"Stripe-Signature": signature, "Content-Type": "application/json"},
    )

    assert response.status_code == 400


def test_a_signed_body_that_is_not_an_event_is_refused(client: FlaskClient) -> None:
    for payload in (b"not json", b"[1, 2]", b'{"data": {}}'):
        signature = signature_header(payload, WEBHOOK_SECRET, int(time.time()))
        response = client.post(
            "/api/payments/webhook",
            data=payload,
            headers={"Stripe-Signature": signature, "Content-Type": "text/plain"},
        )
        assert response.status_code == 400, payload
        assert response.content_type == "application/problem+json"
