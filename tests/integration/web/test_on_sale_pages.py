"""On-sale pages: the cap's message by the Buy button, and the waiting room without JavaScript."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from tests.integration.web.conftest import Backend
from tests.integration.web.pages import buy, sell, sign_up, submit, text, why


@pytest.fixture
def api_env(service_env: Callable[..., dict[str, str]]) -> dict[str, dict[str, str]]:
    """One buyer admitted at once, then one every two seconds: a line forms at the second."""
    return {
        "auth": service_env("auth", signer=True),
        "tickets": service_env("tickets"),
        "orders": service_env(
            "orders",
            ORDERS_MAX_LIVE_PER_BUYER="2",
            WAITING_ROOM_ADMISSION_RATE="0.5",
            WAITING_ROOM_BURST="1",
        ),
    }


def listed(make_browser: Callable[[], FlaskClient], backend: Backend, count: int) -> list[str]:
    seller = make_browser()
    sign_up(seller, "seller@example.com")
    tickets = [sell(seller, f"Show {n}") for n in range(count)]
    backend.deliver_events()
    return tickets


def press_buy(browser: FlaskClient, ticket_id: str) -> tuple[int, str, str]:
    page = f"/tickets/{ticket_id}"
    response = submit(browser, f"{page}/buy", {}, form_page=page)
    return response.status_code, response.headers.get("Location", ""), text(response)


def test_a_buyer_at_the_cap_sees_why_and_when_next_to_the_buy_button(
    make_browser: Callable[[], FlaskClient], backend: Backend
) -> None:
    tickets = listed(make_browser, backend, 3)
    buyer = make_browser()
    sign_up(buyer, "buyer@example.com")
    buy(buyer, tickets[0])  # admitted: the one token; the pass lets the next one through too
    buy(buyer, tickets[1])

    status, _, page = press_buy(buyer, tickets[2])

    assert status == 429, page[:500]
    form = re.search(r'<form method="post" action="/tickets/[^"]+/buy">.*?</form>', page, re.S)
    assert form, "the Buy button is still there"
    message = re.search(
        r'<div class="alert buy-refused" id="buy-refused" role="alert">(.*?)</div>',
        form.group(0),
        re.S,
    )
    assert message, "the refusal is next to the button"
    words = " ".join(message.group(1).split())
    assert "You already hold 2 unpaid orders, the most one buyer may hold at once." in words
    assert re.search(r"You can try again in (\d+ seconds|about \d+ minutes)\.", words), words


def test_a_buyer_in_line_sees_their_place_and_is_taken_to_the_order_when_admitted(
    make_browser: Callable[[], FlaskClient], backend: Backend
) -> None:
    tickets = listed(make_browser, backend, 2)
    first, second = make_browser(), make_browser()
    sign_up(first, "first@example.com")
    sign_up(second, "second@example.com")
    buy(first, tickets[0])  # takes the one token the bucket holds

    status, location, _ = press_buy(second, tickets[1])

    assert (status, location) == (302, "/waiting-room")
    line = second.get("/waiting-room")
    page = text(line)
    assert line.status_code == 200, why(line)
    assert "You are next in line, about 2 seconds." in " ".join(page.split())
    assert re.search(r'<meta http-equiv="refresh" content="[12]">', page)
    deadline = time.monotonic() + 10
    while line.status_code == 200 and time.monotonic() < deadline:
        time.sleep(0.5)  # what the page's refresh does
        line = second.get("/waiting-room")
    assert line.status_code == 302, why(line)
    assert line.headers["Location"].startswith("/orders/")
    order = second.get(line.headers["Location"])
    assert "It was your turn: the ticket is held for you while you pay." in text(order)
