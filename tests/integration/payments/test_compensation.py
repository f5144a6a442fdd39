"""Compensation: a charge that succeeds for an order cancelled meanwhile is refunded, once."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import dramatiq
from flask.testing import FlaskClient

from common.db import Database
from common.events.catalogue import ORDER_CANCELLED, ORDER_UPDATED
from devtools.stripe_standin.server import StandinServer
from tests.integration.payments.conftest import (
    Auth,
    Deliver,
    control,
    eventually,
    fail_next,
    intents,
    only_payment,
    order_event,
    outbox,
    pay,
    refunds,
    stripe_calls,
    types,
    wait_for_webhooks,
)
from workers.consumers import Outcome
from workers.payments.actors import QUEUE, refund_payment

NewOrder = Callable[..., uuid.UUID]
EXPIRED_REASON = "The order was cancelled (expired) before the payment completed."


def cancel(deliver: Deliver, order_id: uuid.UUID, buyer: uuid.UUID, version: int) -> Outcome:
    return deliver(
        order_event(
            ORDER_CANCELLED, order_id, buyer, version=version, status="cancelled", reason="expired"
        )
    )


def test_an_order_cancelled_after_its_payment_succeeded_is_refunded_and_recorded(
    client: FlaskClient,
    auth: Auth,
    new_order: NewOrder,
    deliver: Deliver,
    standin: StandinServer,
    db: Database,
    worker: dramatiq.Worker,
) -> None:
    buyer = uuid.uuid4()
    order_id = new_order(buyer)
    paid = pay(client, auth(buyer), order_id)
    assert paid.status_code == 201
    deliver(order_event(ORDER_UPDATED, order_id, buyer, version=2, status="awaiting_payment"))

    # The expiry won the race at the orders service: its cancellation reaches the replica.
    assert cancel(deliver, order_id, buyer, version=3) is Outcome.APPLIED

    eventually(lambda: only_payment(db).status == "refunded")
    [refund] = refunds(standin)
    assert refund["payment_intent"] == paid.json["stripeId"]
    assert refund["amount"] == 2000
    assert refund["metadata"]["reason"] == EXPIRED_REASON
    payment = only_payment(db)
    assert (payment.refund_id, payment.refund_reason) == (refund["id"], EXPIRED_REASON)
    assert payment.refunded_at is not None
    assert types(db) == ["payments.started", "payments.created", "payments.refunded"]
    assert outbox(db)[-1]["data"] == {
        "id": paid.json["id"],
        "orderId": str(order_id),
        "stripeId": paid.json["stripeId"],
        "amountCents": 2000,
        "currency": "usd",
        "reason": EXPIRED_REASON,
    }
    keys = {call["request"]["idempotency_key"] for call in stripe_calls(standin)}
    assert f"order-{order_id}-refund" in keys


def test_a_success_applied_when_the_replica_already_says_cancelled_is_refunded(
    client: FlaskClient,
    auth: Auth,
    new_order: NewOrder,
    deliver: Deliver,
    standin: StandinServer,
    db: Database,
    start_worker: Callable[[], dramatiq.Worker],
) -> None:
    buyer = uuid.uuid4()
    order_id = new_order(buyer)
    fail_next(standin, 1, status=500, when="after")  # charged, but the answer is lost
    assert pay(client, auth(buyer), order_id).status_code == 202
    assert cancel(deliver, order_id, buyer, version=2) is Outcome.APPLIED
    assert only_payment(db).status == "pending"  # nothing to refund yet

    start_worker()  # the worker replays the charge: Stripe says it succeeded

    eventually(lambda: only_payment(db).status == "refunded")
    assert len(intents(standin)) == 1
    assert len(refunds(standin)) == 1
    assert only_payment(db).refund_reason == EXPIRED_REASON
    assert types(db) == ["payments.started", "payments.created", "payments.refunded"]


def test_a_repeat_of_a_refunded_payment_tells_the_buyer_the_order_is_cancelled(
    client: FlaskClient,
    auth: Auth,
    new_order: NewOrder,
    deliver: Deliver,
    standin: StandinServer,
    db: Database,
    worker: dramatiq.Worker,
) -> None:
    buyer = uuid.uuid4()
    order_id = new_order(buyer)
    pay(client, auth(buyer), order_id)
    cancel(deliver, order_id, buyer, version=2)
    eventually(lambda: only_payment(db).status == "refunded")

    again = pay(client, auth(buyer), order_id)

    assert again.status_code == 409
    assert "refunded" in again.json["detail"]
    assert len(intents(standin)) == 1


def test_webhook_and_worker_both_reporting_the_success_of_a_cancelled_order_refund_once(
    client: FlaskClient,
    auth: Auth,
    new_order: NewOrder,
    deliver: Deliver,
    standin: StandinServer,
    served: str,
    db: Database,
    start_worker: Callable[[], dramatiq.Worker],
) -> None:
    control(standin, "/_standin/webhooks", {"delayMs": 500, "duplicates": 1})
    buyer = uuid.uuid4()
    order_id = new_order(buyer)
    fail_next(standin, 1, status=500, when="after")
    assert pay(client, auth(buyer), order_id).status_code == 202
    cancel(deliver, order_id, buyer, version=2)

    start_worker()

    wait_for_webhooks(standin)
    eventually(lambda: only_payment(db).status == "refunded")
    wait_for_webhooks(standin)  # the refund's own charge.refunded webhook
    assert len(refunds(standin)) == 1
    assert types(db) == ["payments.started", "payments.created", "payments.refunded"]
    assert only_payment(db).refund_reason == EXPIRED_REASON


def test_a_redelivered_cancellation_and_a_repeated_refund_message_refund_once(
    client: FlaskClient,
    auth: Auth,
    new_order: NewOrder,
    deliver: Deliver,
    standin: StandinServer,
    db: Database,
    worker: dramatiq.Worker,
) -> None:
    buyer = uuid.uuid4()
    order_id = new_order(buyer)
    pay(client, auth(buyer), order_id)
    cancellation = order_event(
        ORDER_CANCELLED, order_id, buyer, version=2, status="cancelled", reason="expired"
    )
    assert deliver(cancellation) is Outcome.APPLIED
    eventually(lambda: only_payment(db).status == "refunded")

    assert deliver(cancellation) is Outcome.IGNORED
    refund_payment.send(str(only_payment(db).id), "a stray duplicate")
    refund_payment.send(str(only_payment(db).id), "another one")

    worker.broker.join(QUEUE, timeout=20_000)
    worker.join()
    assert len(refunds(standin)) == 1
    assert only_payment(db).refund_reason == EXPIRED_REASON
    assert types(db).count("payments.refunded") == 1


def test_a_refund_stripe_fails_at_first_is_retried_until_it_is_made(
    client: FlaskClient,
    auth: Auth,
    new_order: NewOrder,
    deliver: Deliver,
    standin: StandinServer,
    db: Database,
    worker: dramatiq.Worker,
) -> None:
    buyer = uuid.uuid4()
    order_id = new_order(buyer)
    pay(client, auth(buyer), order_id)
    fail_next(standin, 2, status=503, pathPrefix="/v1/refunds")

    cancel(deliver, order_id, buyer, version=2)

    eventually(lambda: only_payment(db).status == "refunded", timeout=30)
    assert len(refunds(standin)) == 1


def test_a_cancelled_order_without_a_successful_payment_refunds_nothing(
    client: FlaskClient,
    auth: Auth,
    new_order: NewOrder,
    deliver: Deliver,
    standin: StandinServer,
    db: Database,
) -> None:
    buyer = uuid.uuid4()
    order_id = new_order(buyer)
    pay(client, auth(buyer), order_id, "pm_card_chargeDeclined")

    assert cancel(deliver, order_id, buyer, version=2) is Outcome.APPLIED

    assert only_payment(db).refund_requested_at is None
    assert refunds(standin) == []
