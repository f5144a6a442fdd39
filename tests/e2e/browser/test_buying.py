"""Selling, buying, paying and running out of time, in a real browser through NGINX."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from devstack.running_stack import ORDER_EXPIRATION_SECONDS
from tests.e2e.browser.browsing import Browsing, Screenshots, User

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("stack")]

# The order page reloads itself every 3 s while a payment is confirmed.
COMPLETION_TIMEOUT_MS = 30_000


def seconds_shown(user: User) -> int:
    """The order's time left to pay as the countdown shows it (mm:ss)."""
    minutes, seconds = user.page.locator("time.countdown").inner_text().split(":")
    return int(minutes) * 60 + int(seconds)


def pay(user: User, card: str) -> None:
    """Pick a test card in the payment form and press Pay."""
    user.page.get_by_label(card).check()
    user.shot("payment-form")
    user.page.get_by_role("button", name="Pay").click()
    user.page.wait_for_load_state()


def seller_and_buyer(browsing: Browsing, title: str) -> tuple[User, User, str]:
    """A seller who listed a ticket for $25.00, and a buyer signed up in another context."""
    seller = browsing.user("seller")
    seller.sign_up()
    ticket_id = seller.sell(title, "25")
    buyer = browsing.user("buyer")
    buyer.sign_up()
    return seller, buyer, ticket_id


def test_a_buyer_pays_with_a_card_that_succeeds_and_the_seller_can_no_longer_edit_the_ticket(
    browsing: Browsing, shots: Screenshots
) -> None:
    seller, buyer, ticket_id = seller_and_buyer(browsing, "Concert, row 4")

    buyer.visit("/", "home")
    expect(buyer.page.get_by_role("link", name="Concert, row 4")).to_be_visible()
    buyer.buy(ticket_id)
    expect(buyer.page.locator(".status")).to_have_text("Reserved for you: waiting for payment")
    first = seconds_shown(buyer)
    time.sleep(2.1)
    second = seconds_shown(buyer)
    buyer.shot("countdown-ticking")
    assert 0 < second < first <= ORDER_EXPIRATION_SECONDS
    pay(buyer, "Visa (succeeds)")
    expect(buyer.page.get_by_role("alert")).to_have_count(0)
    expect(buyer.page.locator(".status")).to_have_text("Paid", timeout=COMPLETION_TIMEOUT_MS)
    expect(buyer.page.get_by_role("heading", name="Receipt")).to_be_visible()
    expect(buyer.page.locator(".receipt")).to_contain_text("$25.00")
    buyer.shot("order-complete")

    seller.reload_until("/tickets/mine", "Sold: it can no longer be changed.", "my-tickets-sold")
    ticket = seller.page.locator(f"#ticket-{ticket_id}")
    expect(ticket.locator(".status")).to_have_text("Sold")
    ticket.get_by_label("Title").fill("Concert, row 5")
    ticket.get_by_role("button", name="Save").click()
    expect(seller.page.get_by_role("alert")).to_contain_text("sold")
    seller.shot("edit-refused")
    expect(seller.page.locator(f"#ticket-{ticket_id} .card-title")).to_have_text("Concert, row 4")


def test_a_declined_card_is_explained_and_the_ticket_goes_back_on_sale(
    browsing: Browsing, shots: Screenshots
) -> None:
    _, buyer, ticket_id = seller_and_buyer(browsing, "Theatre, balcony")
    order_id = buyer.buy(ticket_id)

    pay(buyer, "Card declined")

    expect(buyer.page.get_by_role("alert")).to_contain_text("declined")
    # No stale payment form while the decline's cancel is on its way: the page says what
    # happens and refreshes itself until the order shows as cancelled (nobody reloads).
    expect(buyer.page.get_by_role("button", name="Pay")).to_have_count(0)
    buyer.shot("card-declined")
    expect(buyer.page.locator(".status")).to_have_text("Cancelled", timeout=15_000)
    buyer.shot("order-cancelled")
    assert order_id in buyer.page.url
    expect(buyer.page.locator("main")).to_contain_text("declined")
    other = browsing.user("other-buyer")
    other.sign_up()
    other.buy(ticket_id)
    expect(other.page.locator(".status")).to_have_text("Reserved for you: waiting for payment")


def test_an_order_left_unpaid_expires_and_the_ticket_goes_back_on_sale(
    browsing: Browsing, shots: Screenshots
) -> None:
    _, buyer, ticket_id = seller_and_buyer(browsing, "Match, stand B")
    order_id = buyer.buy(ticket_id)

    expect(buyer.page.locator("[data-countdown-note]")).to_contain_text(
        "Time is up", timeout=(ORDER_EXPIRATION_SECONDS + 5) * 1000
    )
    expect(buyer.page.get_by_role("button", name="Pay")).to_be_disabled()
    buyer.shot("time-is-up")
    buyer.reload_until(f"/orders/{order_id}", "Cancelled", "order-expired")
    expect(buyer.page.locator("main")).to_contain_text("xpire")
    buyer.reload_until(f"/tickets/{ticket_id}", "Available", "ticket-available-again")
    expect(buyer.page.get_by_role("button", name="Buy")).to_be_visible()
