"""The web's pure parts: formatting, cookies, settings, redirects and the order page template."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import render_template

from common.errors import ConfigurationError
from web.app import create_app
from web.config import WebSettings
from web.context import safe_next
from web.cookies import CookieJar, SetCookie
from web.formatting import mmss, price, seconds_left, when, words
from web.forms import FormState

NOW = datetime(2026, 11, 24, 20, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(0, "00:00"), (59, "00:59"), (600, "10:00"), (3725, "62:05"), (-5, "00:00")],
)
def test_time_left_reads_as_minutes_and_seconds(seconds: int, shown: str) -> None:
    assert mmss(seconds) == shown


def test_seconds_left_counts_to_the_expiry_and_stops_at_zero() -> None:
    assert seconds_left("2026-11-24T20:14:59.500Z", NOW) == 899
    assert seconds_left("2026-11-24T19:59:00Z", NOW) == 0
    assert seconds_left(None, NOW) == 0
    assert seconds_left("not a time", NOW) == 0


def test_prices_and_times_read_naturally() -> None:
    assert price("20.00", "usd") == "$20.00"
    assert price("20.00", "chf") == "20.00 CHF"
    assert when("2026-11-04T08:05:00Z") == "4 Nov 2026, 08:05 UTC"
    assert words("charge_payment") == "Charge payment"


def test_set_cookie_headers_are_read_like_a_browser_would() -> None:
    kept = SetCookie.parse(
        "access_token_cookie=a.b.c; Expires=Tue, 24 Nov 2026; Max-Age=900; Path=/"
    )
    gone = SetCookie.parse(
        "access_token_cookie=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/"
    )

    assert (kept.name, kept.value, kept.deletes) == ("access_token_cookie", "a.b.c", False)
    assert gone.deletes


def test_the_cookie_jar_relays_only_the_session_cookies_and_follows_set_cookie() -> None:
    jar = CookieJar({"access_token_cookie": "a", "web_session": "s", "tracker": "t"})
    jar.update(["refresh_token_cookie=r; Path=/", "other=x", "access_token_cookie=; Max-Age=0"])

    assert jar.header() == "refresh_token_cookie=r"
    deletions = jar.clear()
    assert jar.header() is None
    assert all(SetCookie.parse(header).deletes for header in deletions)


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/tickets/mine", "/tickets/mine"),
        ("/orders?cursor=x", "/orders?cursor=x"),
        ("//evil.example/", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("", "/"),
        (None, "/"),
    ],
)
def test_only_same_site_paths_are_followed_after_sign_in(target: str | None, expected: str) -> None:
    assert safe_next(target) == expected


def test_the_stripe_standin_is_recognised_by_flag_or_by_key() -> None:
    assert not WebSettings.from_env({}).stripe_standin
    assert WebSettings.from_env({"STRIPE_STANDIN": "true"}).stripe_standin
    assert WebSettings.from_env({"STRIPE_API_KEY": "sk_test_standin_123"}).stripe_standin
    assert not WebSettings.from_env({"STRIPE_API_KEY": "sk_test_real"}).stripe_standin


@pytest.mark.parametrize("url", ["ftp://gateway", "gateway:8080", "http://"])
def test_a_bad_gateway_url_is_refused_at_start(url: str) -> None:
    with pytest.raises(ConfigurationError):
        WebSettings.from_env({"GATEWAY_URL": url})


def order(status: str, **extra: object) -> dict[str, object]:
    return {
        "id": "3f1c3a8e-0a4b-4a55-8f43-1d7f2b9c0e01",
        "status": status,
        "ticketId": "9b2d3c4e-5f60-4a1b-8c7d-6e5f4a3b2c1d",
        "ticket": {"title": "Jazz night", "price": "25.00", "currency": "usd"},
        "userId": "5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d",
        "expiresAt": (NOW + timedelta(minutes=15)).isoformat().replace("+00:00", "Z"),
        "createdAt": "2026-11-24T20:00:00Z",
        "updatedAt": "2026-11-24T20:03:00Z",
        "version": 3,
        **extra,
    }


def render_order(data: dict[str, object]) -> str:
    app = create_app(WebSettings.from_env({"GATEWAY_URL": "http://127.0.0.1:9"}))
    timeline = data.get("timeline") or []
    with app.test_request_context("/orders/x"):
        return render_template(
            "orders/show.html",
            order=data,
            form=FormState(),
            seconds_left=0,
            payable=False,
            cancellable=False,
            standin=False,
            standin_methods=(),
            timeline=timeline,
        )


def test_a_paid_order_shows_the_receipt() -> None:
    page = render_order(order("complete", payment={"stripeId": "pi_123"}))

    assert "Receipt" in page
    assert "Amount paid" in page and "$25.00" in page
    assert "pi_123" in page
    assert ">Pay</button>" not in page


def test_a_cancelled_order_tells_its_timeline_in_plain_words() -> None:
    timeline = [
        {"step": "reserve_ticket", "outcome": "succeeded", "at": "2026-11-24T20:00:00Z"},
        {
            "step": "charge_card",
            "outcome": "failed",
            "at": "2026-11-24T20:02:00Z",
            "detail": "Your card was declined.",
        },
        {"step": "release_ticket", "outcome": "succeeded", "at": "2026-11-24T20:02:01Z"},
    ]

    page = render_order(order("cancelled", reason="payment_declined", timeline=timeline))

    assert "What happened" in page
    assert "Payment declined." in page
    assert "<strong>Charge card</strong>: failed" in page
    assert "Your card was declined." in page
    assert "24 Nov 2026, 20:02 UTC" in page
