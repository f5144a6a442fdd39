"""Stripe failing on its side: the buyer gets 202 and a Dramatiq worker finishes the charge."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import dramatiq
import pytest
from flask.testing import FlaskClient

from api.payments.gateway import GatewayUnavailable
from common.db import Database
from devtools.stripe_standin.server import StandinServer
from tests.integration.payments.conftest import (
    Auth,
    eventually,
    fail_next,
    intents,
    pay,
    payment_row,
    queued,
    stripe_calls,
    types,
)
from workers.payments.actors import MAX_RETRIES, retry_when

NewOrder = Callable[..., uuid.UUID]


@pytest.mark.parametrize(
    "fault",
    [
        {"status": 500},
        {"status": 503},
        {"status": 429},
        {"mode": "close"},
    ],
    ids=["500", "503", "rate-limited", "connection-dropped"],
)
def test_stripe_failing_answers_202_and_the_worker_charges_the_order_later(
    client: FlaskClient,
    auth: Auth,
    new_order: NewOrder,
    standin: StandinServer,
    db: Database,
    worker: dramatiq.Worker,
    fault: dict[str, object],
) -> None:
    buyer = uuid.uuid4()
    order_id = new_order(buyer)
    fail_next(standin, 1, **fault)

    response = pay(client, auth(buyer), order_id)

    assert response.status_code == 202, response.json
    assert response.json["status"] == "pending"
    eventually(lambda: payment_row(db, response.json["id"]).status == "succeeded")
    [intent] = intents(standin)
    assert payment_row(db, response.json["id"]).stripe_id == intent["id"]
    assert types(db) == ["payments.started", "payments.created"]


def test_a_charge_whose_answer_was_lost_is_replayed_by_the_worker_not_charged_twice(
    client: FlaskClient,
    auth: Auth,
    new_order: NewOrder,
    standin: StandinServer,
    db: Database,
    worker: dramatiq.Worker,
) -> None:
    buyer = uuid.uuid4()
    order_id = new_order(buyer)
    # Stripe charges the card, then the answer is lost on the way back.
    fail_next(standin, 1, status=500, when="after")

    response = pay(client, auth(buyer), order_id)

    assert response.status_code == 202
    eventually(lambda: payment_row(db, response.json["id"]).status == "succeeded")
    [intent] = intents(standin)
    assert payment_row(db, response.json["id"]).stripe_id == intent["id"]
    keys = [call["request"]["idempotency_key"] for call in stripe_calls(standin)]
    assert keys == [f"order-{order_id}-charge"]
    assert types(db).count("payments.created") == 1


def test_the_worker_retries_with_backoff_until_stripe_answers(
    client: FlaskClient,
    auth: Auth,
    new_order: NewOrder,
    standin: StandinServer,
    db: Database,
    worker: dramatiq.Worker,
) -> None:
    buyer = uuid.uuid4()
    order_id = new_order(buyer)
    fail_next(standin, 3, status=502)  # the request's attempt and the worker's first two

    response = pay(client, auth(buyer), order_id)

    assert response.status_code == 202
    eventually(lambda: payment_row(db, response.json["id"]).status == "succeeded", timeout=30)
    payment = payment_row(db, response.json["id"])
    assert payment.attempts == 4
    assert len(intents(standin)) == 1


def test_a_decline_reported_to_the_worker_fails_the_payment_without_retrying(
    client: FlaskClient,
    auth: Auth,
    new_order: NewOrder,
    standin: StandinServer,
    db: Database,
    worker: dramatiq.Worker,
) -> None:
    buyer = uuid.uuid4()
    order_id = new_order(buyer)
    fail_next(standin, 1, status=500)

    response = pay(client, auth(buyer), order_id, "pm_card_chargeDeclined")

    assert response.status_code == 202
    eventually(lambda: payment_row(db, response.json["id"]).status == "failed")
    payment = payment_row(db, response.json["id"])
    assert (payment.failure_reason, payment.attempts) == ("Your card was declined.", 2)
    assert types(db) == ["payments.started", "payments.failed"]
    assert queued() == 0


def test_a_pending_payment_is_answered_202_to_a_repeat_and_not_charged_again(
    client: FlaskClient, auth: Auth, new_order: NewOrder, standin: StandinServer
) -> None:
    buyer = uuid.uuid4()
    order_id = new_order(buyer)
    fail_next(standin, 1, status=500)
    first = pay(client, auth(buyer), order_id)

    second = pay(client, auth(buyer), order_id)

    assert (first.status_code, second.status_code) == (202, 202)
    assert second.json["id"] == first.json["id"]
    assert intents(standin) == []
    assert queued() == 1  # the one charge the first request handed to the workers


def test_only_what_may_pass_is_retried_and_only_so_many_times() -> None:
    assert retry_when(0, GatewayUnavailable("down"))
    assert not retry_when(MAX_RETRIES, GatewayUnavailable("down"))
    assert not retry_when(0, ValueError("a bug"))
