"""Forms refuse bad input in a real browser and say why, next to what is wrong."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.browser.browsing import Browsing, Screenshots

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("stack")]


def test_signing_in_with_a_wrong_password_shows_an_error_and_keeps_the_email(
    browsing: Browsing, shots: Screenshots
) -> None:
    owner = browsing.user("owner")
    owner.sign_up()
    visitor = browsing.user("visitor")

    visitor.visit("/signin", "signin")
    visitor.fill_credentials(owner.email, "not the password")
    visitor.page.get_by_role("button", name="Sign in").click()

    alert = visitor.page.get_by_role("alert")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text("password")
    expect(visitor.page.get_by_label("Email")).to_have_value(owner.email)
    expect(visitor.page.get_by_label("Password")).to_have_value("")
    expect(visitor.page.get_by_role("link", name="Sign in")).to_be_visible()
    visitor.shot("signin-refused")


def test_selling_with_an_empty_title_and_a_price_of_abc_shows_each_error_next_to_its_field(
    browsing: Browsing, shots: Screenshots
) -> None:
    seller = browsing.user("seller")
    seller.sign_up()
    seller.visit("/tickets/new", "sell-form")

    seller.page.get_by_label("Title").fill("")
    seller.page.get_by_label("Price").fill("abc")
    seller.page.get_by_role("button", name="Sell a ticket").click()

    expect(seller.page.get_by_role("alert")).to_contain_text("Please check what you entered")
    for name in ("title", "price"):
        field = seller.page.locator(f".field:has(#{name})")
        expect(field).to_have_class("field field-invalid")
        expect(field.locator(f"#{name}-error")).not_to_be_empty()
        expect(seller.page.locator(f"#{name}")).to_have_attribute("aria-invalid", "true")
    expect(seller.page.get_by_label("Price")).to_have_value("abc")
    seller.shot("sell-refused")
    seller.visit("/tickets/mine", "my-tickets-empty")
    expect(seller.page.locator("main")).to_contain_text("You are not selling anything yet.")
