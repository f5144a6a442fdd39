"""The API keys page in Chromium: create a key (shown once), a program uses it, revoke it."""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import expect

from devstack.running_stack import RunningStack
from tests.e2e.browser.browsing import Browsing, Screenshots

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("stack")]


def test_a_user_creates_a_key_a_program_uses_it_and_revocation_stops_it(
    stack: RunningStack, browsing: Browsing, shots: Screenshots
) -> None:
    owner = browsing.user("owner")
    owner.sign_up()
    owner.visit("/account/api-keys", "api-keys-empty")
    page = owner.page
    page.get_by_label("Name").fill("Shop sync")
    page.get_by_label("write:tickets").check()
    page.get_by_role("button", name="Create key").click()
    shown = page.locator(".api-key")
    expect(shown).to_have_text(re.compile(r"^tkt_"))
    key = shown.inner_text()
    owner.shot("key-created")
    page.goto("/account/api-keys")
    expect(page.locator(".api-key")).to_have_count(0)
    expect(page.locator(".last-used")).to_have_text("never")

    exchanged = requests.post(
        f"{stack.url}/api/users/api-keys/token", json={"apiKey": key}, timeout=10
    )
    assert exchanged.status_code == 200, exchanged.text
    headers = {"Authorization": f"Bearer {exchanged.json()['accessToken']}"}
    body = {"title": "Listed by a program", "price": "12.00"}
    listed = requests.post(f"{stack.url}/api/tickets", json=body, headers=headers, timeout=10)
    assert listed.status_code == 201, listed.text
    ordered = requests.post(
        f"{stack.url}/api/orders",
        json={"ticketId": listed.json()["id"]},
        headers=headers,
        timeout=10,
    )
    assert ordered.status_code == 403  # no write:orders on this key

    page.goto("/account/api-keys")
    expect(page.locator(".last-used")).not_to_have_text("never")
    page.get_by_role("button", name="Revoke").click()
    expect(page.locator(".key-revoked")).to_be_visible()
    owner.shot("key-revoked")
    after = requests.get(f"{stack.url}/api/tickets/mine", headers=headers, timeout=10)
    assert after.status_code == 401
    again = requests.post(f"{stack.url}/api/users/api-keys/token", json={"apiKey": key}, timeout=10)
    assert again.status_code == 401
