"""The reconciler finds charges and refunds whose worker messages were lost, and re-sends them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable

import dramatiq
from flask import Flask
from flask.testing import FlaskClient

from api.payments.components import Payments
from api.payments.domain import OrderStatus
from api.payments.models import Order
from common.clock import FrozenClock
from common.db import Database
from common.events.catalogue import ORDER_CANCELLED
from devtools.stripe_standin.server import StandinServer
from tests.integration.payments.conftest import (
    Auth,
    Deliver,
    drop_queued,
    eventually,
    fail_next,
    intents,
    only_payment,
    order_event,
    pay,
    queued,
    refunds,
)

NewOrder = Callable[..., uuid.UUID]


def payments_of(app: Flask) -> Payments:
    """The use cases the app (and the actors) run on, reconcile() among them."""
    payments: Payments = app.extensions["payments"]
    return payments


def test_a_charge_stuck_pending_after_its_message_was_lost_is_sent_again_and_completed(
    app: Flask,
    client: FlaskClient,
    auth: Auth,
    new_order: NewOrder,
    standin: StandinServer,
    clock: FrozenClock,
    start_worker: Callable[[], dramatiq.Worker],
) -> None:
    buyer = uuid.uuid4()
    order_id = new_order(buyer)
    fail_next(standin, 1, status=500)
    response = pay(client, auth(buyer), order_id)
    assert response.status_code == 202
    drop_queued()  # Redis restarted empty: the charge's message is gone

    early = payments_of(app).reconcile()
    clock.advance(61)
    late = payments_of(app).reconcile()
    start_worker()

    assert early.charges == []
    assert [str(payment_id) for payment_id in late.charges] == [response.json["id"]]
    eventually(lambda: only_payment(app.extensions["db"]).status == "succeeded")
    assert len(intents(standin)) == 1


def test_a_refund_owed_after_its_message_was_lost_is_sent_again_and_made(
    app: Flask,
    client: FlaskClient,
    auth: Auth,
    new_order: NewOrder,
    deliver: Deliver,
    standin: StandinServer,
    clock: FrozenClock,
    db: Database,
    start_worker: Callable[[], dramatiq.Worker],
) -> None:
    buyer = uuid.uuid4()
    order_id = new_order(buyer)
    assert pay(client, auth(buyer), order_id).status_code == 201
    deliver(order_event(ORDER_CANCELLED, order_id, buyer, version=2, status="cancelled"))
    assert queued() == 1
    drop_queued()

    early = payments_of(app).reconcile()
    clock.advance(61)
    late = payments_of(app).reconcile()
    start_worker()

    assert early.refunds == []
    assert late.refunds == [only_payment(db).id]
    eventually(lambda: only_payment(db).status == "refunded")
    assert len(refunds(standin)) == 1
    assert only_payment(db).refund_reason == "The order was cancelled before the payment completed."


def test_a_refund_never_decided_because_its_event_was_lost_is_decided_by_the_reconciler(
    app: Flask,
    client: FlaskClient,
    auth: Auth,
    new_order: NewOrder,
    standin: StandinServer,
    db: Database,
    start_worker: Callable[[], dramatiq.Worker],
) -> None:
    buyer = uuid.uuid4()
    order_id = new_order(buyer)
    assert pay(client, auth(buyer), order_id).status_code == 201
    with db.transaction() as session:  # the replica says cancelled, no refund was ever asked
        order = session.get(Order, order_id)
        assert order is not None
        order.status, order.version, order.reason = (
            OrderStatus.CANCELLED,
            2,
            "cancelled_by_buyer",
        )

    found = payments_of(app).reconcile()
    start_worker()

    assert found.refunds == [only_payment(db).id]
    eventually(lambda: only_payment(db).status == "refunded")
    assert only_payment(db).refund_reason == (
        "The order was cancelled (cancelled by buyer) before the payment completed."
    )


def test_nothing_settled_or_fresh_is_sent_again(
    app: Flask,
    client: FlaskClient,
    auth: Auth,
    new_order: NewOrder,
    clock: FrozenClock,
) -> None:
    buyer = uuid.uuid4()
    pay(client, auth(buyer), new_order(buyer))
    pay(client, auth(buyer), new_order(buyer), "pm_card_chargeDeclined")
    clock.advance(3600)

    found = payments_of(app).reconcile()

    assert (found.charges, found.refunds) == ([], [])


def test_the_reconciler_process_runs_until_sigterm(payments_env: dict[str, str]) -> None:
    environment = {**payments_env, "PAYMENTS_RECONCILE_INTERVAL_MS": "100", "LOG_LEVEL": "INFO"}
    process = subprocess.Popen(
        [sys.executable, "-m", "workers.payments.reconciler"],
        env={**os.environ, **environment},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    assert process.stdout is not None
    first = json.loads(process.stdout.readline())
    time.sleep(1)  # some passes over the (empty) payments table
    assert process.poll() is None
    process.send_signal(signal.SIGTERM)
    rest = process.stdout.read().decode()
    assert process.wait(15) == 0, rest
    assert first["message"] == "reconciler starting"
    assert "reconciler stopped" in rest
    assert "reconciliation failed" not in rest
