"""The same payment sent many times at once, through a real WSGI server: one charge."""

from __future__ import annotations

import http.client
import json
import threading
import uuid
from collections.abc import Callable
from urllib.parse import urlsplit

from common.db import Database
from devtools.stripe_standin.server import StandinServer
from tests.integration.payments.conftest import intents, types

SENDERS = 10


def post_payment(base: str, token: str, order_id: uuid.UUID) -> tuple[int, dict[str, object]]:
    address = urlsplit(base)
    connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=60)
    try:
        connection.request(
            "POST",
            "/api/payments",
            body=json.dumps({"orderId": str(order_id), "paymentMethod": "pm_card_visa"}),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def test_the_same_payment_sent_concurrently_charges_the_order_exactly_once(
    served: str,
    issue_token: Callable[..., str],
    new_order: Callable[..., uuid.UUID],
    standin: StandinServer,
    db: Database,
) -> None:
    buyer = uuid.uuid4()
    order_id = new_order(buyer)
    token = issue_token(buyer)
    gate = threading.Barrier(SENDERS)
    answers: list[tuple[int, dict[str, object]]] = []
    lock = threading.Lock()

    def send() -> None:
        gate.wait(30)
        answer = post_payment(served, token, order_id)
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=send) for _ in range(SENDERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert len(answers) == SENDERS
    assert {status for status, _ in answers} <= {201, 202}
    assert len({body["id"] for _, body in answers}) == 1
    assert len(intents(standin)) == 1
    assert types(db).count("payments.started") == 1
    assert types(db).count("payments.created") == 1
