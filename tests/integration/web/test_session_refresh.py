"""The web renews an expired session with the refresh cookie, transparently, once per request."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import urllib3
from flask.testing import FlaskClient

from tests.integration.web.conftest import Backend
from tests.integration.web.pages import sign_up, submit, text
from web.cookies import SetCookie


def cookie(browser: FlaskClient, name: str) -> str | None:
    found = browser.get_cookie(name)
    return found.value if found else None


def set_cookies(response_headers: list[str]) -> dict[str, SetCookie]:
    parsed = [SetCookie.parse(header) for header in response_headers]
    return {c.name: c for c in parsed}


def test_a_missing_access_cookie_is_renewed_with_the_refresh_cookie(browser: FlaskClient) -> None:
    sign_up(browser, "ivy@example.com")
    old_refresh = cookie(browser, "refresh_token_cookie")
    browser.delete_cookie("access_token_cookie")
    browser.delete_cookie("csrf_access_token")

    response = browser.get("/tickets/mine")

    assert response.status_code == 200
    assert "ivy@example.com" in text(response)
    renewed = set_cookies(response.headers.getlist("Set-Cookie"))
    assert not renewed["access_token_cookie"].deletes
    assert renewed["refresh_token_cookie"].value != old_refresh  # rotated on use
    assert cookie(browser, "access_token_cookie")
    assert cookie(browser, "refresh_token_cookie") == renewed["refresh_token_cookie"].value
    assert response.headers["Cache-Control"] == "no-store"


def test_an_expired_access_cookie_is_renewed_and_the_form_still_goes_through(
    browser: FlaskClient, issue_token: Callable[..., str]
) -> None:
    sign_up(browser, "jo@example.com")
    expired = issue_token(uuid.uuid4(), "jo@example.com", expires_in=-60)
    browser.set_cookie("access_token_cookie", expired)

    response = submit(
        browser,
        "/tickets/new",
        {"title": "Renewed", "price": "12"},
        form_page="/tickets/new",
    )

    assert response.status_code == 302, text(response)
    assert cookie(browser, "access_token_cookie") != expired
    assert "Renewed" in text(browser.get("/tickets/mine"))


def test_an_api_401_is_retried_once_after_a_refresh(browser: FlaskClient) -> None:
    sign_up(browser, "kim@example.com")
    # A CSRF cookie that no longer matches the access token: the tickets API answers 401.
    browser.set_cookie("csrf_access_token", "stale")

    response = submit(
        browser, "/tickets/new", {"title": "Retried", "price": "5"}, form_page="/tickets/new"
    )

    assert response.status_code == 302, text(response)
    assert cookie(browser, "csrf_access_token") != "stale"
    assert "Retried" in text(browser.get("/tickets/mine"))


def test_a_refresh_token_used_elsewhere_signs_the_visitor_out_and_clears_the_cookies(
    browser: FlaskClient, backend: Backend
) -> None:
    sign_up(browser, "lee@example.com")
    refresh, csrf = cookie(browser, "refresh_token_cookie"), cookie(browser, "csrf_refresh_token")
    stolen_use = urllib3.request(
        "POST",
        f"{backend.url}/api/users/refresh",
        headers={
            "Cookie": f"refresh_token_cookie={refresh}; csrf_refresh_token={csrf}",
            "X-CSRF-Token": str(csrf),
        },
    )
    assert stolen_use.status == 200
    browser.delete_cookie("access_token_cookie")

    response = browser.get("/")

    assert response.status_code == 200
    page = text(response)
    assert "lee@example.com" not in page and ">Sign in</a>" in page
    assert cookie(browser, "refresh_token_cookie") is None
    assert cookie(browser, "csrf_refresh_token") is None
    assert browser.get("/tickets/mine").headers["Location"] == "/signin?next=/tickets/mine"


def test_visitors_without_a_session_cause_no_refresh(browser: FlaskClient) -> None:
    response = browser.get("/")

    assert response.status_code == 200
    assert response.headers.getlist("Set-Cookie") == []
