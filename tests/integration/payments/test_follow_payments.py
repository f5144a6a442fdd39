"""Following payments: a buyer lists an order's payments and reads one; nobody else can."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from flask.testing import FlaskClient

from tests.integration.payments.conftest import Auth, pay

NewOrder = Callable[..., uuid.UUID]


def test_the_buyer_lists_the_payments_of_an_order_and_reads_one(
    client: FlaskClient, auth: Auth, new_order: NewOrder
) -> None:
    buyer = uuid.uuid4()
    order_id = new_order(buyer)
    paid = pay(client, auth(buyer), order_id).json

    listed = client.get(f"/api/payments?orderId={order_id}", headers=auth(buyer))
    shown = client.get(f"/api/payments/{paid['id']}", headers=auth(buyer))

    assert listed.status_code == 200
    assert listed.json == {"items": [paid]}
    assert shown.status_code == 200
    assert shown.json == paid


def test_a_declined_payment_is_listed_with_its_reason(
    client: FlaskClient, auth: Auth, new_order: NewOrder
) -> None:
    buyer = uuid.uuid4()
    order_id = new_order(buyer)
    pay(client, auth(buyer), order_id, "pm_card_chargeDeclined")

    [payment] = client.get(f"/api/payments?orderId={order_id}", headers=auth(buyer)).json["items"]

    assert (payment["status"], payment["failureReason"]) == ("failed", "Your card was declined.")


def test_other_users_see_no_payments_of_the_order_and_may_not_read_one(
    client: FlaskClient, auth: Auth, new_order: NewOrder
) -> None:
    buyer, stranger = uuid.uuid4(), uuid.uuid4()
    order_id = new_order(buyer)
    paid = pay(client, auth(buyer), order_id).json

    listed = client.get(f"/api/payments?orderId={order_id}", headers=auth(stranger))
    shown = client.get(f"/api/payments/{paid['id']}", headers=auth(stranger))

    assert listed.json == {"items": []}
    assert shown.status_code == 403


def test_an_unknown_payment_is_not_found(client: FlaskClient, auth: Auth) -> None:
    response = client.get(f"/api/payments/{uuid.uuid4()}", headers=auth(uuid.uuid4()))

    assert response.status_code == 404
    assert response.content_type == "application/problem+json"


def test_listing_needs_an_order_id_and_a_signed_in_user(client: FlaskClient, auth: Auth) -> None:
    missing = client.get("/api/payments", headers=auth(uuid.uuid4()))
    anonymous = client.get(f"/api/payments?orderId={uuid.uuid4()}")

    assert missing.status_code == 422
    assert missing.json["errors"][0]["field"] == "orderId"
    assert anonymous.status_code == 401
