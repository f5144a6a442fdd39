"""A stand-in per test, the real stripe client pointed at it, and a webhook receiver."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast

import pytest
import stripe
from stripe.params import PaymentIntentCreateParams

from devtools.stripe_standin.server import StandinServer, serve

API_KEY = "sk_test_standin"
WEBHOOK_SECRET = "whsec_test_secret"


@dataclass
class Delivery:
    """One webhook POST as our endpoint received it."""

    body: bytes
    signature: str | None
    headers: dict[str, str]


@dataclass
class Receiver:
    """A tiny webhook endpoint that records deliveries and can fail the first few."""

    url: str = ""
    deliveries: list[Delivery] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    condition: threading.Condition = field(default_factory=threading.Condition)

    def answer(self) -> int:
        """The status for the next delivery: queued failures first, then 200."""
        return self.statuses.pop(0) if self.statuses else 200

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Delivery]:
        """Block until at least `count` deliveries arrived, and return them all."""
        deadline = time.monotonic() + timeout
        with self.condition:
            while len(self.deliveries) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"expected {count} webhook deliveries, got {len(self.deliveries)}"
                    )
                self.condition.wait(left)
            return list(self.deliveries)

    def events(self, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        """The first `count` delivered bodies, parsed."""
        return [json.loads(d.body) for d in self.wait_for(count, timeout)[:count]]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    record = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with record.condition:
                status = record.answer()
                record.deliveries.append(
                    Delivery(body, self.headers.get("Stripe-Signature"), dict(self.headers))
                )
                record.condition.notify_all()
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    record.url = f"http://127.0.0.1:{server.server_port}/webhooks/stripe"
    yield record
    server.shutdown()
    server.server_close()


@pytest.fixture
def make_standin() -> Iterator[Callable[..., StandinServer]]:
    servers: list[StandinServer] = []

    def make(**options: Any) -> StandinServer:
        options.setdefault("webhook_backoff_ms", 50)
        server, _ = serve(0, **options)
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.close()


@pytest.fixture
def standin(make_standin: Callable[..., StandinServer], receiver: Receiver) -> StandinServer:
    return make_standin(webhook_url=receiver.url, webhook_secret=WEBHOOK_SECRET)


@pytest.fixture
def client(standin: StandinServer) -> stripe.StripeClient:
    return stripe.StripeClient(API_KEY, base_addresses={"api": standin.url})


def control(server: StandinServer, path: str, body: dict[str, Any] | None = None) -> Any:
    """Call a `/_standin/` control (POST when a body is given) and return its JSON."""
    data = None if body is None else json.dumps(body).encode()
    method = "POST" if data else "GET"
    request = urllib.request.Request(server.url + path, data=data, method=method)  # noqa: S310 - local http URL
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - local http URL
        return json.loads(response.read())


def card_payment(**overrides: Any) -> PaymentIntentCreateParams:
    """Parameters for a confirmed card payment, as the payments service sends them."""
    params = {
        "amount": 2000,
        "currency": "usd",
        "payment_method": "pm_card_visa",
        "confirm": True,
        "allowed_payment_method_types": ["card"],
        "metadata": {"orderId": "order-1"},
        "description": "Order order-1",
        **overrides,
    }
    return cast(PaymentIntentCreateParams, params)
