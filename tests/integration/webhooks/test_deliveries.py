"""Deliveries to a real receiver: signed, deduplicated, retried with backoff, logged, resent."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient

from api.webhooks.config import WebhooksSettings
from api.webhooks.models import OUTBOX, Delivery, Endpoint
from api.webhooks.signing import SignatureMismatch, verify
from common.clock import SystemClock
from common.db import Database
from common.events.envelope import Envelope
from tests.integration.webhooks.conftest import Auth, order_event, refund_event, ticket_sold_event
from tests.integration.webhooks.receiver import Receiver, running_receiver
from workers.consumers import Outcome, handle_message
from workers.webhooks.dispatcher import Dispatcher
from workers.webhooks.handlers import make_handlers

Consume = Callable[[Envelope], Outcome]


def register(client: FlaskClient, headers: dict[str, str], url: str, events: list[str]) -> Any:
    response = client.post(
        "/api/webhooks/endpoints", json={"url": url, "events": events}, headers=headers
    )
    assert response.status_code == 201, response.json
    return response.json  # type: ignore[no-any-return]


def hmac_of(secret: str, timestamp: str, body: bytes) -> str:
    """The receiver's own check, written from the docs (not with our signing module)."""
    signed = timestamp.encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signatures(header: str) -> tuple[str, list[str]]:
    parts = [part.split("=", 1) for part in header.split(",")]
    return next(v for k, v in parts if k == "t"), [v for k, v in parts if k == "v1"]


@contextmanager
def dispatching(dispatcher: Dispatcher) -> Iterator[None]:
    stop = threading.Event()
    thread = threading.Thread(target=dispatcher.run, args=(stop,))
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=30)


def deliveries(db: Database) -> list[Delivery]:
    with db.transaction() as session:
        return list(session.scalars(sa.select(Delivery).order_by(Delivery.created_at)))


def test_a_completed_order_reaches_the_buyers_endpoint_signed(
    client: FlaskClient,
    auth: Auth,
    consume: Consume,
    dispatcher: Dispatcher,
    receiver: Receiver,
) -> None:
    buyer = uuid.uuid4()
    endpoint = register(client, auth(buyer), receiver.url, ["order.completed"])
    event = order_event("orders.completed", buyer)

    assert consume(event) is Outcome.APPLIED
    assert dispatcher.run_once() == 1

    [got] = receiver.wait_for(1)
    body = json.loads(got.body)
    assert (body["id"], body["type"]) == (str(event.id), "order.completed")
    assert body["data"]["status"] == "complete"
    assert body["data"]["price"] == "20.00"
    assert got.headers["Ticketing-Event-Id"] == str(event.id)
    timestamp, [v1] = signatures(got.headers["Ticketing-Signature"])
    assert abs(int(timestamp) - time.time()) < 30
    assert hmac.compare_digest(v1, hmac_of(endpoint["secret"], timestamp, got.body))
    verify(got.body, got.headers["Ticketing-Signature"], endpoint["secret"])


def test_a_tampered_body_or_another_secret_fails_verification(
    client: FlaskClient, auth: Auth, consume: Consume, dispatcher: Dispatcher, receiver: Receiver
) -> None:
    buyer = uuid.uuid4()
    endpoint = register(client, auth(buyer), receiver.url, ["order.created"])
    consume(order_event("orders.created", buyer))
    dispatcher.run_once()
    [got] = receiver.wait_for(1)
    header = got.headers["Ticketing-Signature"]
    for body, secret in ((got.body + b" ", endpoint["secret"]), (got.body, "whsec_other")):
        try:
            verify(body, header, secret)
        except SignatureMismatch:
            continue
        raise AssertionError("a bad signature verified")
    stale = int(signatures(header)[0]) + 3600
    try:
        verify(got.body, header, endpoint["secret"], now=stale)
    except SignatureMismatch:
        pass
    else:
        raise AssertionError("an old signature verified")


def test_only_the_owners_subscribed_endpoints_get_an_event_and_only_once(
    client: FlaskClient, auth: Auth, consume: Consume, dispatcher: Dispatcher, db: Database
) -> None:
    buyer, stranger = uuid.uuid4(), uuid.uuid4()
    with running_receiver() as wanted, running_receiver() as other:
        register(client, auth(buyer), wanted.url, ["order.cancelled"])
        register(client, auth(buyer), other.url, ["order.completed"])
        register(client, auth(stranger), other.url, ["order.cancelled"])
        event = order_event("orders.cancelled", buyer, reason="expired")
        consume(event)
        consume(event)  # redelivered by JetStream
        dispatcher.run_once()
        wanted.wait_for(1)
        time.sleep(0.2)
        assert len(wanted.received) == 1
        assert other.received == []
    assert len(deliveries(db)) == 1


def test_ticket_sold_goes_to_the_seller_and_a_refund_to_the_buyer(
    client: FlaskClient, auth: Auth, consume: Consume, dispatcher: Dispatcher, receiver: Receiver
) -> None:
    seller, buyer = uuid.uuid4(), uuid.uuid4()
    register(client, auth(seller), receiver.url, ["ticket.sold"])
    register(client, auth(buyer), receiver.url, ["payment.refunded"])
    order_id = uuid.uuid4()

    assert consume(refund_event(order_id)) is Outcome.RETRY_LATER  # buyer not known yet
    consume(order_event("orders.created", buyer, order_id=order_id))
    assert consume(refund_event(order_id)) is Outcome.APPLIED
    consume(ticket_sold_event(seller))
    dispatcher.run_once()

    types = sorted(json.loads(r.body)["type"] for r in receiver.wait_for(2))
    assert types == ["payment.refunded", "ticket.sold"]


def test_a_ticket_is_announced_sold_once_though_later_snapshots_say_sold_too(
    client: FlaskClient, auth: Auth, consume: Consume, db: Database, receiver: Receiver
) -> None:
    seller, ticket_id = uuid.uuid4(), uuid.uuid4()
    register(client, auth(seller), receiver.url, ["ticket.sold"])

    assert consume(ticket_sold_event(seller, ticket_id, version=3)) is Outcome.APPLIED
    assert consume(ticket_sold_event(seller, ticket_id, version=4)) is Outcome.APPLIED

    sold = [d for d in deliveries(db) if json.loads(d.payload)["data"]["id"] == str(ticket_id)]
    assert len(sold) == 1
    assert json.loads(sold[0].payload)["id"] == str(sold[0].event_id)


def test_a_failing_receiver_is_retried_with_backoff_until_it_answers(
    client: FlaskClient,
    auth: Auth,
    consume: Consume,
    dispatcher: Dispatcher,
    receiver: Receiver,
    db: Database,
) -> None:
    buyer = uuid.uuid4()
    headers = auth(buyer)
    endpoint = register(client, headers, receiver.url, ["order.created"])
    receiver.answers = [500, 503]
    consume(order_event("orders.created", buyer))

    with dispatching(dispatcher):
        got = receiver.wait_for(3)

    assert len({r.headers["Ticketing-Event-Id"] for r in got}) == 1
    [delivery] = deliveries(db)
    assert (delivery.status, delivery.attempts) == ("succeeded", 3)
    log = client.get(f"/api/webhooks/endpoints/{endpoint['id']}/deliveries", headers=headers)
    [entry] = log.json["items"]
    assert entry["status"] == "succeeded"
    assert [a["statusCode"] for a in entry["attempts"]] == [200, 503, 500]
    # Backoff: the base (100 ms here) times 1, then 5.
    first, second, third = sorted(a["at"] for a in entry["attempts"])
    assert first < second < third


def test_a_delivery_is_given_up_after_its_retry_window(
    webhooks_env: dict[str, str], client: FlaskClient, auth: Auth, db: Database
) -> None:
    settings = WebhooksSettings.from_env({**webhooks_env, "WEBHOOKS_RETRY_FOR_SECONDS": "1"})
    buyer = uuid.uuid4()
    with running_receiver() as down:
        down.answers = [500] * 50
        register(client, auth(buyer), down.url, ["order.created"])
        handlers = make_handlers(SystemClock(), settings.retry_for)
        handle_message(db, OUTBOX, handlers, order_event("orders.created", buyer))
        with dispatching(Dispatcher(db, settings, SystemClock())):
            deadline = time.monotonic() + 15
            while deliveries(db)[0].status == "pending" and time.monotonic() < deadline:
                time.sleep(0.1)
    [delivery] = deliveries(db)
    assert delivery.status == "failed"
    assert delivery.attempts >= 2
    assert delivery.last_status_code == 500


def test_resend_sends_a_delivery_again_with_the_same_event_id(
    client: FlaskClient, auth: Auth, consume: Consume, dispatcher: Dispatcher, receiver: Receiver
) -> None:
    buyer = uuid.uuid4()
    headers = auth(buyer)
    endpoint = register(client, headers, receiver.url, ["order.created"])
    consume(order_event("orders.created", buyer))
    dispatcher.run_once()
    receiver.wait_for(1)
    log = f"/api/webhooks/endpoints/{endpoint['id']}/deliveries"
    [delivery] = client.get(log, headers=headers).json["items"]

    resent = client.post(f"{log}/{delivery['id']}/resend", headers=headers)
    assert resent.status_code == 202
    assert resent.json["status"] == "pending"
    dispatcher.run_once()

    first, again = receiver.wait_for(2)
    assert first.headers["Ticketing-Event-Id"] == again.headers["Ticketing-Event-Id"]
    assert first.body == again.body
    other = auth(uuid.uuid4())
    assert client.post(f"{log}/{delivery['id']}/resend", headers=other).status_code == 403
    unknown = client.post(f"{log}/{uuid.uuid4()}/resend", headers=headers)
    assert unknown.status_code == 404


def test_after_a_roll_both_secrets_sign_until_the_old_one_expires(
    client: FlaskClient, auth: Auth, consume: Consume, dispatcher: Dispatcher, receiver: Receiver
) -> None:
    buyer = uuid.uuid4()
    headers = auth(buyer)
    endpoint = register(client, headers, receiver.url, ["order.created"])
    rolled = client.post(
        f"/api/webhooks/endpoints/{endpoint['id']}/roll-secret", json={}, headers=headers
    ).json
    consume(order_event("orders.created", buyer))
    dispatcher.run_once()
    [got] = receiver.wait_for(1)
    for secret in (endpoint["secret"], rolled["secret"]):
        verify(got.body, got.headers["Ticketing-Signature"], secret)


def test_an_address_that_turned_private_after_registration_is_refused_at_delivery(
    webhooks_env: dict[str, str],
    client: FlaskClient,
    auth: Auth,
    consume: Consume,
    db: Database,
    receiver: Receiver,
) -> None:
    buyer = uuid.uuid4()
    # Registered while the name pointed elsewhere; now it resolves to loopback.
    register(client, auth(buyer), receiver.url.replace("127.0.0.1", "localhost"), ["order.created"])
    consume(order_event("orders.created", buyer))
    strict = WebhooksSettings.from_env({**webhooks_env, "WEBHOOKS_ALLOW_PRIVATE_TARGETS": "false"})

    Dispatcher(db, strict, SystemClock()).run_once()

    time.sleep(0.2)
    assert receiver.received == []
    [delivery] = deliveries(db)
    assert delivery.status == "pending"
    assert delivery.last_error is not None
    assert delivery.last_error.startswith("refused:")
    assert "not a public address" in delivery.last_error


def test_a_slow_receiver_does_not_hold_up_another_endpoints_deliveries(
    webhooks_env: dict[str, str], client: FlaskClient, auth: Auth, consume: Consume, db: Database
) -> None:
    settings = WebhooksSettings.from_env(
        {**webhooks_env, "WEBHOOKS_TIMEOUT_MS": "3000", "WEBHOOKS_THREADS": "4"}
    )
    slow_user, fast_user = uuid.uuid4(), uuid.uuid4()
    with running_receiver() as slow, running_receiver() as fast:
        slow.delay_seconds = 2.5
        register(client, auth(slow_user), slow.url, ["order.created"])
        register(client, auth(fast_user), fast.url, ["order.created"])
        for _ in range(6):
            consume(order_event("orders.created", slow_user))
        with dispatching(Dispatcher(db, settings, SystemClock())):
            time.sleep(0.3)  # the slow endpoint's sends are in flight
            consume(order_event("orders.created", fast_user))
            started = time.monotonic()
            fast.wait_for(1, timeout=10)
            waited = time.monotonic() - started
            slow.delay_seconds = 0
    assert waited < 1.5, f"the fast receiver waited {waited:.2f}s"
    with db.transaction() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Endpoint)) == 2
