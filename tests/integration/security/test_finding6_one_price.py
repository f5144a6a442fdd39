"""Finding 6: a price edit between an order and its lock cancels the order: never two prices."""

from __future__ import annotations

from typing import Any

import requests

from tests.integration.web.conftest import Backend

PASSWORD = "correct horse battery"


def bearer(backend: Backend, email: str) -> dict[str, str]:
    body = {"email": email, "password": PASSWORD}
    requests.post(f"{backend.url}/api/users/signup", json=body, timeout=10)
    tokens = requests.post(f"{backend.url}/api/users/tokens", json=body, timeout=10).json()
    return {"Authorization": f"Bearer {tokens['accessToken']}"}


def call(backend: Backend, method: str, path: str, headers: dict[str, str], **kw: Any) -> Any:
    response = requests.request(method, f"{backend.url}{path}", headers=headers, timeout=10, **kw)
    assert response.status_code < 300, response.text
    return response.json()


def test_an_edit_before_the_lock_cancels_the_order_and_the_ticket_keeps_one_price(
    backend: Backend,
) -> None:
    seller = bearer(backend, "seller@example.com")
    buyer = bearer(backend, "buyer@example.com")
    ticket = call(
        backend, "POST", "/api/tickets", seller, json={"title": "Row 4", "price": "20.00"}
    )
    backend.deliver_events()  # orders knows the ticket at 20.00
    order = call(backend, "POST", "/api/orders", buyer, json={"ticketId": ticket["id"]})
    assert order["ticket"]["price"] == "20.00"
    # The seller edits before orders.created reaches tickets: the ticket is not locked yet.
    edited = call(
        backend,
        "PUT",
        f"/api/tickets/{ticket['id']}",
        seller,
        json={"title": "Row 4", "price": "50.00"},
    )
    assert edited["price"] == "50.00"
    backend.deliver_events()  # through the real tickets and orders consumers' handlers
    shown = call(backend, "GET", f"/api/tickets/{ticket['id']}", {})
    assert (shown["price"], shown["status"], shown["orderId"]) == ("50.00", "available", None)
    cancelled = call(backend, "GET", f"/api/orders/{order['id']}", buyer)
    assert cancelled["status"] == "cancelled"
    assert cancelled["reason"] == "price_changed"
    assert "50.00" in cancelled["reasonDetail"]
    # The ticket can be bought again, at the price it shows.
    again = call(backend, "POST", "/api/orders", buyer, json={"ticketId": ticket["id"]})
    assert again["ticket"]["price"] == "50.00"
    backend.deliver_events()
    locked = call(backend, "GET", f"/api/tickets/{ticket['id']}", {})
    assert (locked["status"], locked["orderId"]) == ("locked", again["id"])
