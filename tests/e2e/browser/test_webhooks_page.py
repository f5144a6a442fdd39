"""The webhooks page in Chromium: add an endpoint, see its secret once, read the log, resend."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.browser.browsing import Browsing, Screenshots
from tests.integration.webhooks.receiver import running_receiver

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("stack")]


def test_a_buyer_adds_an_endpoint_receives_the_order_and_resends_it(
    browsing: Browsing, shots: Screenshots
) -> None:
    seller, buyer = browsing.user("seller"), browsing.user("buyer")
    seller.sign_up()
    buyer.sign_up()
    ticket_id = seller.sell("Webhook gala", "15.00")

    with running_receiver() as receiver:
        buyer.visit("/account/webhooks", "webhooks-empty")
        page = buyer.page
        page.get_by_label("URL").fill(receiver.url)
        page.get_by_label("order.created").check()
        page.get_by_role("button", name="Add endpoint").click()
        secret = page.locator(".webhook-secret")
        expect(secret).to_have_text(re.compile(r"^whsec_"))
        buyer.shot("endpoint-added")
        page.goto("/account/webhooks")
        expect(page.locator(".webhook-secret")).to_have_count(0)

        order_id = buyer.buy(ticket_id)
        [got] = receiver.wait_for(1, timeout=30)
        assert json.loads(got.body)["data"]["id"] == order_id

        page.goto("/account/webhooks")
        page.get_by_role("link", name=receiver.url).click()
        expect(page.locator(".attempt").first).to_have_text("200")
        buyer.shot("delivery-log")
        page.get_by_role("button", name="Resend").click()
        expect(page.get_by_text("sent again")).to_be_visible()
        again = receiver.wait_for(2, timeout=30)[1]
        assert again.headers["Ticketing-Event-Id"] == got.headers["Ticketing-Event-Id"]
