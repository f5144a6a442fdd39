"""The pages' shared frame: navigation, static files, error pages, probes and request ids."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient

from tests.integration.web.pages import sign_up, text


def test_the_header_offers_every_area_and_sign_in_to_visitors(browser: FlaskClient) -> None:
    page = text(browser.get("/"))

    for link in ("Tickets", "Sell a ticket", "My tickets", "My orders", "Sign in", "Sign up"):
        assert f">{link}</a>" in page
    assert '<nav class="site-nav" aria-label="Main">' in page
    assert '<main id="content"' in page
    assert 'href="#content">Skip to content</a>' in page


def test_the_header_shows_the_signed_in_users_email_and_a_sign_out_button(
    browser: FlaskClient,
) -> None:
    sign_up(browser, "gil@example.com")

    page = text(browser.get("/"))

    assert "gil@example.com" in page
    assert '<form method="post" action="/signout"' in page
    assert ">Sign out</button>" in page
    assert ">Sign in</a>" not in page


def test_own_stylesheet_and_script_are_served_without_any_cdn(browser: FlaskClient) -> None:
    css = browser.get("/static/css/app.css")
    js = browser.get("/static/js/countdown.js")

    assert css.status_code == 200 and ":focus-visible" in text(css)
    assert "@media (max-width" in text(css)
    assert js.status_code == 200 and "data-seconds-left" in text(js)
    page = text(browser.get("/signin"))
    assert "https://" not in page.split("<footer")[0]
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page


def test_an_unknown_page_gets_a_friendly_404_in_the_sites_look(browser: FlaskClient) -> None:
    response = browser.get("/no/such/page")

    assert response.status_code == 404
    page = text(response)
    assert "Page not found" in page
    assert "Go to the tickets for sale" in page
    assert '<nav class="site-nav"' in page


def test_an_unknown_ticket_or_order_gets_the_404_page(browser: FlaskClient) -> None:
    sign_up(browser, "hal@example.com")
    missing = "7d5e8c3a-2f0b-4f57-9d5e-3c1f0b3f5a11"

    for path in (f"/tickets/{missing}", f"/orders/{missing}", "/tickets/not-a-uuid"):
        response = browser.get(path)
        assert response.status_code == 404, path
        assert "Page not found" in text(response)


def test_probes_and_metrics_are_served(browser: FlaskClient) -> None:
    assert browser.get("/healthz").json == {"status": "ok"}
    assert browser.get("/readyz").status_code == 200
    browser.get("/")
    assert 'http_requests_total{method="GET",route="/",service="web"' in text(
        browser.get("/metrics")
    )


def test_the_request_id_is_echoed_and_a_bad_one_replaced(browser: FlaskClient) -> None:
    assert (
        browser.get("/", headers={"X-Request-Id": "abc-123"}).headers["X-Request-Id"] == "abc-123"
    )
    replaced = browser.get("/", headers={"X-Request-Id": "bad id!"}).headers["X-Request-Id"]
    assert replaced != "bad id!" and len(replaced) == 32


def test_an_unreachable_gateway_gets_a_friendly_503_page(
    make_web: Callable[..., Flask],
) -> None:
    browser = make_web(GATEWAY_URL="http://127.0.0.1:9").test_client()

    response = browser.get("/")

    assert response.status_code == 503
    assert "Please try again in a moment." in text(response)


def test_pages_forbid_framing_and_foreign_scripts(browser: FlaskClient) -> None:
    response = browser.get("/signin")

    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
