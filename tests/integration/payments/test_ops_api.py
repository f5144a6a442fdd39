"""The payments service's operator API: any order's payment, refunds with why, stuck charges."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import dramatiq
import pytest
from flask.testing import FlaskClient

from api.payments.models import Payment
from common.clock import FrozenClock
from common.db import Database
from common.events.catalogue import ORDER_CANCELLED, ORDER_UPDATED
from tests.integration.payments.conftest import (
    Auth,
    Deliver,
    eventually,
    only_payment,
    order_event,
    pay,
)

ANY_ID = "00000000-0000-4000-8000-000000000000"
ROUTES = [
    ("get", f"/api/payments/ops/payments?orderId={ANY_ID}"),
    ("get", "/api/payments/ops/compensations"),
    ("get", "/api/payments/ops/stuck"),
    ("get", "/api/payments/ops/dead-letters"),
    ("post", "/api/payments/ops/dead-letters/1/replay"),
    ("post", "/api/payments/ops/dead-letters/1/discard"),
    ("get", "/api/payments/ops/backlog"),
]


@pytest.fixture
def operator(issue_token: Callable[..., str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(uuid.uuid4(), roles=['operator'])}"}


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_normal_users_get_403_and_anonymous_callers_401(
    client: FlaskClient, auth: Auth, method: str, path: str
) -> None:
    assert getattr(client, method)(path).status_code == 401
    assert getattr(client, method)(path, headers=auth(uuid.uuid4())).status_code == 403


def test_an_operator_sees_a_refund_and_why_it_happened(
    client: FlaskClient,
    auth: Auth,
    new_order: Callable[..., uuid.UUID],
    deliver: Deliver,
    db: Database,
    worker: dramatiq.Worker,
    operator: dict[str, str],
) -> None:
    buyer = uuid.uuid4()
    order_id = new_order(buyer)
    assert pay(client, auth(buyer), order_id).status_code == 201
    deliver(order_event(ORDER_UPDATED, order_id, buyer, version=2, status="awaiting_payment"))
    deliver(
        order_event(
            ORDER_CANCELLED, order_id, buyer, version=3, status="cancelled", reason="expired"
        )
    )
    eventually(lambda: only_payment(db).status == "refunded")

    (payment,) = client.get(
        f"/api/payments/ops/payments?orderId={order_id}", headers=operator
    ).json["items"]
    assert payment["userId"] == str(buyer) and payment["status"] == "refunded"
    assert "expired" in payment["refundReason"] and payment["refundedAt"]

    refunds = client.get("/api/payments/ops/compensations", headers=operator).json["items"]
    assert [r["orderId"] for r in refunds] == [str(order_id)]


def test_a_charge_pending_past_the_threshold_is_stuck_with_the_reason(
    client: FlaskClient,
    auth: Auth,
    new_order: Callable[..., uuid.UUID],
    db: Database,
    clock: FrozenClock,
    operator: dict[str, str],
) -> None:
    buyer = uuid.uuid4()
    order_id = new_order(buyer)
    # A charge whose worker message was lost: the payment stays pending.
    assert pay(client, auth(buyer), order_id).status_code in {201, 202}
    with db.transaction() as session:
        session.query(Payment).update({Payment.status: "pending"})
    assert client.get("/api/payments/ops/stuck", headers=operator).json["items"] == []
    clock.advance(61)
    (stuck,) = client.get("/api/payments/ops/stuck", headers=operator).json["items"]
    assert stuck["orderId"] == str(order_id)
    assert "PAYMENTS_STUCK_AFTER_SECONDS (60 s)" in stuck["stuckReason"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/payments/ops/payments",
        "/api/payments/ops/payments?orderId=nope",
        "/api/payments/ops/compensations?hours=-1",
    ],
)
def test_bad_input_is_a_422_problem(
    client: FlaskClient, operator: dict[str, str], path: str
) -> None:
    response = client.get(path, headers=operator)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
