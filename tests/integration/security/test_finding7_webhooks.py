"""Finding 7: webhooks signed in the future, or reporting another amount, are refused and logged."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from flask.testing import FlaskClient

from api.payments.domain import PaymentStatus
from api.payments.models import Payment
from common.db import Database
from devtools.stripe_standin.webhooks import signature_header

SECRET = "whsec_security_suite"  # the services fixture's STRIPE_WEBHOOK_SECRET


def post_webhook(client: FlaskClient, event: dict[str, Any], signed_at: int) -> Any:
    payload = json.dumps(event).encode()
    return client.post(
        "/api/payments/webhook",
        data=payload,
        headers={
            "Stripe-Signature": signature_header(payload, SECRET, signed_at),
            "Content-Type": "application/json",
        },
    )


def succeeded(intent: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": f"evt_{uuid.uuid4().hex[:24]}",
        "object": "event",
        "type": "payment_intent.succeeded",
        "data": {"object": intent},
    }


@pytest.fixture
def pending_payment(services: dict[str, FlaskClient]) -> Payment:
    db: Database = services["payments"].application.extensions["db"]
    now = datetime.now(UTC)
    payment = Payment(
        id=uuid.uuid4(),
        order_id=uuid.uuid4(),
        user_id=uuid.uuid4(),
        status=PaymentStatus.PENDING,
        amount_cents=2000,
        currency="usd",
        payment_method="pm_card_visa",
        stripe_id="pi_security_suite",
        attempts=1,
        attempted_at=now,
        created_at=now,
        updated_at=now,
        version=1,
    )
    with db.transaction() as session:
        session.add(payment)
    return payment


def status_of(services: dict[str, FlaskClient], payment: Payment) -> PaymentStatus:
    db: Database = services["payments"].application.extensions["db"]
    with db.transaction() as session:
        found = session.get(Payment, payment.id)
        assert found is not None
        return found.status


def test_a_signature_dated_in_the_future_is_refused(
    services: dict[str, FlaskClient], caplog: pytest.LogCaptureFixture
) -> None:
    event = succeeded({"id": "pi_x", "amount_received": 1, "currency": "usd"})
    response = post_webhook(services["payments"], event, int(time.time()) + 3600)
    assert response.status_code == 400
    assert response.json["errors"][0]["field"] == "Stripe-Signature"
    assert "signed in the future" in caplog.text


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount_received": 1}, "data.object.amount_received"),
        ({"currency": "eur"}, "data.object.currency"),
        ({"id": "pi_someone_else"}, "data.object.id"),
    ],
)
def test_a_success_that_does_not_match_the_payment_is_refused_and_logged(
    change: dict[str, Any],
    field: str,
    services: dict[str, FlaskClient],
    pending_payment: Payment,
    caplog: pytest.LogCaptureFixture,
) -> None:
    intent = {
        "id": "pi_security_suite",
        "object": "payment_intent",
        "amount": 2000,
        "amount_received": 2000,
        "currency": "usd",
        "status": "succeeded",
        "metadata": {"paymentId": str(pending_payment.id)},
        **change,
    }
    response = post_webhook(services["payments"], succeeded(intent), int(time.time()))
    assert response.status_code == 422
    assert [e["field"] for e in response.json["errors"]] == [field]
    assert status_of(services, pending_payment) is PaymentStatus.PENDING
    assert "does not match the payment" in caplog.text
