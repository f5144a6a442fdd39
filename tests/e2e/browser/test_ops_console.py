"""The operators' console in a real browser: an operator follows a run; a buyer gets a 404."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from api.auth.operators import main as operators_cli
from devstack.running_stack import RunningStack
from tests.e2e.browser.browsing import PASSWORD, Browsing, Screenshots

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("stack")]


def test_an_operator_opens_a_buyers_run_from_the_console_and_a_buyer_cannot(
    browsing: Browsing, shots: Screenshots, stack: RunningStack
) -> None:
    seller = browsing.user("seller")
    seller.sign_up()
    ticket_id = seller.sell("Jazz night, table 7", "30")
    buyer = browsing.user("buyer")
    buyer.sign_up()
    order_id = buyer.buy(ticket_id)

    operator = browsing.user("operator")
    operator.sign_up()
    environ = {"DATABASE_URL": stack.database_url("auth")}
    assert operators_cli(["grant", operator.email], environ) == 0
    # The role is in the tokens of the next sign-in.
    operator.page.get_by_role("button", name="Sign out").click()
    operator.page.goto("/signin")
    operator.fill_credentials(operator.email, PASSWORD)
    operator.page.get_by_role("button", name="Sign in").click()
    expect(operator.page.locator(".account-email")).to_have_text(operator.email)

    operator.visit("/ops", "overview")
    expect(operator.page.get_by_role("heading", name="Purchase sagas")).to_be_visible()
    expect(operator.page.locator("#steps")).to_contain_text("reserve")
    waiting_room = operator.page.get_by_role("region", name="Waiting room")
    expect(waiting_room.locator('[data-figure="length"]')).to_have_text(re.compile(r"^\d+$"))
    expect(waiting_room).to_contain_text("buyers/s, bursts of")
    operator.page.get_by_role("link", name="Runs", exact=True).click()
    operator.page.locator(f'a[href="/ops/runs/{order_id}"]').click()
    expect(operator.page.get_by_role("heading", level=1)).to_contain_text(order_id)
    expect(operator.page.locator("#run-steps")).to_contain_text("await_payment")
    expect(operator.page.locator("#run-events")).to_contain_text("orders.created")
    expect(operator.page.get_by_text("No payment was made for this order.")).to_be_visible()
    operator.shot("run")
    operator.visit("/ops/backlogs", "backlogs")
    expect(operator.page.locator("#consumers-orders")).to_contain_text("orders-tickets-created")

    buyer.visit("/ops", "console-refused")
    expect(buyer.page.get_by_role("heading", level=1)).to_have_text("Page not found")
    buyer.visit(f"/ops/runs/{order_id}", "run-refused")
    expect(buyer.page.get_by_role("heading", level=1)).to_have_text("Page not found")
