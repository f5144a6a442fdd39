"""The waiting room in a real browser without JavaScript: the place in line, then the order."""

from __future__ import annotations

import re
import time
import uuid

import pytest
import redis
from playwright.sync_api import expect

from devstack.running_stack import REDIS_BASE
from tests.e2e.browser.browsing import ORDER_PATH, Browsing, Screenshots

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("stack")]

AHEAD = 120  # buyers already in line: at the default 40 a second, about 3 s of waiting
PREFIX = "waitingroom:"


def crowd_the_line(count: int) -> None:
    """Buyers who arrived first and keep their place; no admission left in this second."""
    client = redis.Redis.from_url(f"{REDIS_BASE}/0")
    try:
        now_ms = int(time.time() * 1000)
        client.hset(PREFIX + "bucket", mapping={"tokens": "0", "ms": str(now_ms)})
        for _ in range(count):
            account = str(uuid.uuid4())
            client.zadd(PREFIX + "line", {account: client.incr(PREFIX + "seq")})
            client.set(PREFIX + "seen:" + account, "1", px=30_000)
    finally:
        client.close()


def test_a_buyer_in_line_sees_the_place_and_wait_and_the_page_takes_them_to_the_order(
    browsing: Browsing, shots: Screenshots
) -> None:
    seller = browsing.user("seller")
    seller.sign_up()
    ticket_id = seller.sell("On-sale night", "30")
    buyer = browsing.user("buyer", javascript=False)
    buyer.sign_up()
    buyer.page.goto(f"/tickets/{ticket_id}")
    crowd_the_line(AHEAD)

    buyer.page.get_by_role("button", name="Buy").click()

    expect(buyer.page).to_have_url(re.compile(r"/waiting-room$"))
    status = buyer.page.get_by_role("status")
    expect(status).to_have_text(re.compile(r"You are number \d+ in line, about \d+ seconds?\."))
    position = int(re.findall(r"number (\d+)", status.inner_text())[0])
    # Behind those who came first, less the few let in since (40 a second).
    assert AHEAD - 40 < position <= AHEAD + 5
    refresh = buyer.page.locator('meta[http-equiv="refresh"]')
    assert int(refresh.get_attribute("content") or "0") >= 1
    buyer.shot("waiting-room")

    buyer.page.wait_for_url(ORDER_PATH, timeout=30_000)  # the page's own refreshes
    expect(buyer.page.get_by_role("status")).to_contain_text("It was your turn")
    expect(buyer.page.get_by_role("heading", level=1)).to_have_text("Order for On-sale night")
    buyer.shot("order")
