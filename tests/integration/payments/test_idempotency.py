"""Idempotency-Key on POST /api/payments: a retried payment answers the first receipt."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from flask.testing import FlaskClient

from common.http.idempotency import HEADER, REPLAYED_HEADER
from devtools.stripe_standin.server import StandinServer
from tests.integration.payments.conftest import Auth, intents, pay


def test_a_retried_payment_replays_the_receipt_and_charges_once(
    client: FlaskClient,
    auth: Auth,
    new_order: Callable[..., uuid.UUID],
    standin: StandinServer,
) -> None:
    buyer = uuid.uuid4()
    order_id = new_order(buyer, price_cents=2500)
    headers = {**auth(buyer), HEADER: "pay-1"}

    first = pay(client, headers, order_id)
    again = pay(client, headers, order_id)

    assert first.status_code == 201, first.json
    assert again.status_code == 201
    assert again.headers[REPLAYED_HEADER] == "true"
    assert again.json == first.json
    assert len(intents(standin)) == 1


def test_a_declined_payment_is_replayed_as_the_same_402(
    client: FlaskClient, auth: Auth, new_order: Callable[..., uuid.UUID]
) -> None:
    buyer = uuid.uuid4()
    order_id = new_order(buyer)
    headers = {**auth(buyer), HEADER: "pay-2"}

    first = pay(client, headers, order_id, method="pm_card_chargeDeclined")
    again = pay(client, headers, order_id, method="pm_card_chargeDeclined")

    assert first.status_code == 402
    assert (again.status_code, again.headers[REPLAYED_HEADER]) == (402, "true")
    assert again.mimetype == "application/problem+json"
    assert again.json["detail"] == first.json["detail"]
