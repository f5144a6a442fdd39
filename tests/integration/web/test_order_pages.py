"""Buying, the order page (countdown, payment form, cancel) and my orders, against real APIs."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.integration.web.conftest import Backend
from tests.integration.web.pages import alert, buy, field, sell, sign_up, submit, text


@pytest.fixture
def for_sale(make_browser: Callable[[], FlaskClient], backend: Backend) -> str:
    """A ticket another user has on sale, known to the orders service."""
    seller = make_browser()
    sign_up(seller, "seller@example.com")
    ticket_id = sell(seller, "Jazz night", "25.00")
    backend.deliver_events()
    return ticket_id


def test_buying_opens_the_order_with_the_time_left_and_the_payment_form(
    browser: FlaskClient, for_sale: str
) -> None:
    sign_up(browser, "buyer@example.com")

    order_id = buy(browser, for_sale)

    page = text(browser.get(f"/orders/{order_id}"))
    assert "Order for Jazz night" in page
    assert "Reserved for you: waiting for payment" in page
    left = re.search(r'data-seconds-left="(\d+)">(\d\d:\d\d)</time>', page)
    assert left, "the time left is rendered on the server"
    assert 590 <= int(left.group(1)) <= 600
    assert left.group(2) in {"10:00", *(f"09:{s:02d}" for s in range(50, 60))}
    assert '<script src="/static/js/countdown.js" defer></script>' in page
    assert ">Pay</button>" in page
    assert ">Cancel order</button>" in page
    assert '<label for="paymentMethod">Payment method id</label>' in page


def test_with_the_stripe_standin_the_payment_form_offers_stripes_test_cards(
    make_web: Callable[..., Flask], for_sale: str
) -> None:
    browser = make_web(STRIPE_STANDIN="true").test_client()
    sign_up(browser, "buyer@example.com")
    order_id = buy(browser, for_sale)

    page = text(browser.get(f"/orders/{order_id}"))

    for value, label in (
        ("pm_card_visa", "Visa (succeeds)"),
        ("pm_card_chargeDeclined", "Card declined"),
        ("pm_card_insufficientFunds", "Insufficient funds"),
    ):
        radio = re.search(
            rf'<input type="radio" name="paymentMethod" id="([^"]+)"\s+value="{value}"', page
        )
        assert radio, value
        assert f'<label for="{radio.group(1)}">{label}</label>' in page


def test_an_unknown_test_card_is_refused_next_to_the_choice(
    make_web: Callable[..., Flask], for_sale: str
) -> None:
    browser = make_web(STRIPE_API_KEY="sk_test_standin_local").test_client()
    sign_up(browser, "buyer@example.com")
    order_id = buy(browser, for_sale)
    page = f"/orders/{order_id}"

    response = submit(browser, f"{page}/pay", {"paymentMethod": "pm_card_stolen"}, form_page=page)

    assert response.status_code == 422
    assert "Choose a test card." in text(response)
    assert 'aria-describedby="paymentMethod-error"' in text(response)


def test_paying_while_the_payments_service_is_not_deployed_says_so(
    browser: FlaskClient, for_sale: str
) -> None:
    sign_up(browser, "buyer@example.com")
    order_id = buy(browser, for_sale)
    page = f"/orders/{order_id}"

    response = submit(browser, f"{page}/pay", {"paymentMethod": "pm_card_visa"}, form_page=page)

    assert response.status_code == 503
    assert "Payments are not available right now." in alert(text(response))
    assert ">Pay</button>" in text(response)


def test_a_payment_method_id_is_checked_before_it_is_sent(
    browser: FlaskClient, for_sale: str
) -> None:
    sign_up(browser, "buyer@example.com")
    order_id = buy(browser, for_sale)
    page = f"/orders/{order_id}"

    response = submit(browser, f"{page}/pay", {"paymentMethod": "visa please"}, form_page=page)

    assert response.status_code == 422
    markup = field(text(response), "paymentMethod")
    assert "Enter a payment method id such as pm_card_visa." in markup
    assert 'value="visa please"' in markup


def test_cancelling_an_order_says_what_happened_and_puts_the_ticket_back_on_sale(
    browser: FlaskClient, make_browser: Callable[[], FlaskClient], backend: Backend, for_sale: str
) -> None:
    sign_up(browser, "buyer@example.com")
    order_id = buy(browser, for_sale)
    backend.deliver_events()
    other = make_browser()
    assert ">Buy</button>" not in text(other.get(f"/tickets/{for_sale}"))
    page = f"/orders/{order_id}"

    response = submit(browser, f"{page}/cancel", {}, form_page=page, follow=True)
    backend.deliver_events()

    after = text(response)
    assert "Your order is cancelled." in after
    assert ">Cancelled</span>" in after
    assert "What happened" in after
    assert ">Pay</button>" not in after and ">Cancel order</button>" not in after
    assert ">Buy</button>" in text(other.get(f"/tickets/{for_sale}"))


def test_cancelling_an_order_that_is_already_cancelled_explains_the_conflict(
    browser: FlaskClient, for_sale: str
) -> None:
    sign_up(browser, "buyer@example.com")
    order_id = buy(browser, for_sale)
    page = f"/orders/{order_id}"
    token_page = text(browser.get(page))
    token = re.search(r'name="csrf_token" value="([^"]+)"', token_page)
    assert token
    browser.post(f"{page}/cancel", data={"csrf_token": token.group(1)})

    response = browser.post(f"{page}/cancel", data={"csrf_token": token.group(1)})

    assert response.status_code == 409
    assert "The order is cancelled; it cannot become cancelled." in alert(text(response))


def test_a_reserved_ticket_shows_no_buy_button_and_a_stale_buy_explains_why(
    browser: FlaskClient, make_browser: Callable[[], FlaskClient], backend: Backend, for_sale: str
) -> None:
    sign_up(browser, "late@example.com")
    stale_page = text(browser.get(f"/tickets/{for_sale}"))
    first = make_browser()
    sign_up(first, "first@example.com")
    order_id = buy(first, for_sale)
    backend.deliver_events()

    page = text(browser.get(f"/tickets/{for_sale}"))
    assert "Reserved" in page and ">Buy</button>" not in page
    assert "Someone is buying this ticket right now." in page
    buyers_view = text(first.get(f"/tickets/{for_sale}"))
    assert "You are buying this ticket." in buyers_view
    assert f'href="/orders/{order_id}">Go to your order</a>' in buyers_view
    token = re.search(r'name="csrf_token" value="([^"]+)"', stale_page)
    assert token
    response = browser.post(f"/tickets/{for_sale}/buy", data={"csrf_token": token.group(1)})

    assert response.status_code == 409
    assert "The ticket is reserved by another order." in alert(text(response))


def test_buying_ones_own_ticket_is_refused_with_the_reason(
    browser: FlaskClient, backend: Backend
) -> None:
    sign_up(browser, "seller@example.com")
    ticket_id = sell(browser)
    backend.deliver_events()
    page = f"/tickets/{ticket_id}"

    response = submit(browser, f"{page}/buy", {}, form_page=page)

    assert response.status_code == 409
    assert "You cannot buy your own ticket." in alert(text(response))


def test_someone_elses_order_is_not_shown(
    browser: FlaskClient, make_browser: Callable[[], FlaskClient], for_sale: str
) -> None:
    sign_up(browser, "buyer@example.com")
    order_id = buy(browser, for_sale)
    snoop = make_browser()
    sign_up(snoop, "snoop@example.com")

    response = snoop.get(f"/orders/{order_id}")

    assert response.status_code == 403
    assert "This is not yours" in text(response)


def test_my_orders_lists_each_order_with_its_status(browser: FlaskClient, for_sale: str) -> None:
    sign_up(browser, "buyer@example.com")
    order_id = buy(browser, for_sale)

    page = text(browser.get("/orders"))

    assert f'href="/orders/{order_id}">Jazz night</a>' in page
    assert "$25.00" in page
    assert "Reserved for you: waiting for payment" in page


def test_order_pages_ask_visitors_to_sign_in(browser: FlaskClient) -> None:
    response = browser.get("/orders")

    assert response.status_code == 302
    assert response.headers["Location"] == "/signin?next=/orders"
