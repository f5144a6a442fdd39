"""Signing up, in and out through the web forms, against the real auth service."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient

from tests.integration.web.pages import (
    PASSWORD,
    alert,
    field,
    input_value,
    sign_up,
    submit,
    text,
)


def test_signup_form_sets_the_session_cookies_and_the_header_shows_the_email(
    browser: FlaskClient,
) -> None:
    response = sign_up(browser, "ann@example.com")

    assert response.headers["Location"] == "/"
    cookies = response.headers.getlist("Set-Cookie")
    assert any(c.startswith("access_token_cookie=") and "HttpOnly" in c for c in cookies)
    assert any(c.startswith("refresh_token_cookie=") for c in cookies)
    assert browser.get_cookie("csrf_access_token") is not None
    home = text(browser.get("/"))
    assert "ann@example.com" in home
    assert ">Sign out</button>" in home
    assert "Welcome! Your account is ready." in home


def test_signin_with_a_wrong_password_shows_the_error_and_keeps_the_email(
    browser: FlaskClient, make_browser: Callable[[], FlaskClient]
) -> None:
    sign_up(make_browser(), "bob@example.com")

    response = submit(
        browser,
        "/signin",
        {"email": "bob@example.com", "password": "not the password"},
        form_page="/signin",
    )

    assert response.status_code == 422
    page = text(response)
    assert "Wrong email or password." in alert(page)
    assert input_value(field(page, "email")) == "bob@example.com"
    assert input_value(field(page, "password")) is None  # passwords are never echoed
    assert browser.get_cookie("access_token_cookie") is None


def test_signin_with_the_right_password_goes_back_where_the_visitor_was(
    browser: FlaskClient, make_browser: Callable[[], FlaskClient]
) -> None:
    sign_up(make_browser(), "cy@example.com")

    page = browser.get("/tickets/mine")
    assert page.status_code == 302
    assert page.headers["Location"] == "/signin?next=/tickets/mine"
    response = submit(
        browser,
        "/signin",
        {"email": "cy@example.com", "password": PASSWORD, "next": "/tickets/mine"},
        form_page="/signin?next=/tickets/mine",
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/tickets/mine"
    assert "cy@example.com" in text(browser.get("/tickets/mine"))


def test_signin_never_redirects_to_another_site(
    browser: FlaskClient, make_browser: Callable[[], FlaskClient]
) -> None:
    sign_up(make_browser(), "dee@example.com")

    response = submit(
        browser,
        "/signin",
        {"email": "dee@example.com", "password": PASSWORD, "next": "//evil.example/x"},
        form_page="/signin",
    )

    assert response.headers["Location"] == "/"


def test_signup_with_invalid_fields_shows_each_error_next_to_its_field(
    browser: FlaskClient,
) -> None:
    response = submit(
        browser, "/signup", {"email": "not-an-email", "password": "short"}, form_page="/signup"
    )

    assert response.status_code == 422
    page = text(response)
    email = field(page, "email")
    assert 'aria-invalid="true"' in email
    assert "email" in email.lower() and "field-error" in email
    assert input_value(email) == "not-an-email"
    password = field(page, "password")
    assert "field-error" in password
    assert 'role="alert"' in page


def test_signup_with_a_registered_email_explains_the_conflict_at_the_top(
    browser: FlaskClient, make_browser: Callable[[], FlaskClient]
) -> None:
    sign_up(make_browser(), "eve@example.com")

    response = submit(
        browser,
        "/signup",
        {"email": "eve@example.com", "password": PASSWORD},
        form_page="/signup",
    )

    assert response.status_code == 409
    page = text(response)
    assert "An account with this email already exists." in alert(page)
    assert "Already registered." in field(page, "email")
    assert input_value(field(page, "email")) == "eve@example.com"


def test_signout_ends_the_session(browser: FlaskClient) -> None:
    sign_up(browser, "fay@example.com")

    response = submit(browser, "/signout", {}, form_page="/")

    assert response.status_code == 302
    assert browser.get_cookie("access_token_cookie") is None
    assert browser.get_cookie("refresh_token_cookie") is None
    home = text(browser.get("/"))
    assert "fay@example.com" not in home
    assert ">Sign in</a>" in home
    assert "You are signed out." in home


def test_auth_pages_have_labelled_fields_and_named_buttons(browser: FlaskClient) -> None:
    signup = text(browser.get("/signup"))
    signin = text(browser.get("/signin"))

    for page, button in ((signup, "Sign up"), (signin, "Sign in")):
        assert '<label for="email">Email</label>' in page
        assert '<label for="password">Password</label>' in page
        assert f'<button type="submit" class="button">{button}</button>' in page
