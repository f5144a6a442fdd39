"""Pages come through NGINX, styled by the files it serves from disk."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.browser.browsing import Browsing, Screenshots

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("stack")]


def test_the_home_page_is_styled_by_a_stylesheet_nginx_serves_from_disk(
    browsing: Browsing, shots: Screenshots
) -> None:
    visitor = browsing.user("visitor")

    with visitor.page.expect_response(lambda r: r.url.endswith("/static/css/app.css")) as css:
        visitor.visit("/", "home")

    stylesheet = css.value
    assert stylesheet.status == 200
    assert stylesheet.headers["content-type"] == "text/css; charset=utf-8"
    # The web app would say no-cache; only NGINX's static location lets browsers keep it.
    assert stylesheet.headers["cache-control"] == "public, max-age=3600"
    header = visitor.page.locator(".site-header")
    background = header.evaluate("element => getComputedStyle(element).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "transparent")
    expect(visitor.page.get_by_role("heading", level=1)).to_have_text("Tickets for sale")
    expect(visitor.page.get_by_role("link", name="Sign up")).to_be_visible()
