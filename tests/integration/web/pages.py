"""Reading pages and filling in forms the way a browser without JavaScript would."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def text(response: TestResponse) -> str:
    return response.get_data(as_text=True)


def csrf_token(page: str) -> str:
    """The hidden form token of a page."""
    found = _CSRF.search(page)
    assert found, "the page has no form token"
    return found.group(1)


def why(response: TestResponse) -> str:
    """A failed step's status and the page's alert, for assertion messages."""
    page = text(response)
    shown = alert(page) if 'role="alert"' in page else page[:2000]
    return f"{response.status_code}: {shown}"


def submit(
    browser: FlaskClient,
    action: str,
    data: Mapping[str, str],
    *,
    form_page: str = "/",
    follow: bool = False,
) -> TestResponse:
    """Open `form_page`, then post its form to `action` with the page's token."""
    token = csrf_token(text(browser.get(form_page)))
    return browser.post(action, data={**data, "csrf_token": token}, follow_redirects=follow)


def sign_up(browser: FlaskClient, email: str, password: str = PASSWORD) -> TestResponse:
    """Create an account through the sign-up form; the browser is then signed in."""
    response = submit(
        browser, "/signup", {"email": email, "password": password}, form_page="/signup"
    )
    assert response.status_code == 302, why(response)
    return response


def sell(browser: FlaskClient, title: str = "Concert", price: str = "20.00") -> str:
    """Put a ticket on sale through the form; its id."""
    response = submit(
        browser, "/tickets/new", {"title": title, "price": price}, form_page="/tickets/new"
    )
    assert response.status_code == 302, why(response)
    location = response.headers["Location"]
    assert location.startswith("/tickets/"), location
    return location.rsplit("/", 1)[1]


def buy(browser: FlaskClient, ticket_id: str) -> str:
    """Press Buy on the ticket's page; the new order's id."""
    page = f"/tickets/{ticket_id}"
    response = submit(browser, f"{page}/buy", {}, form_page=page)
    assert response.status_code == 302, why(response)
    location = response.headers["Location"]
    assert location.startswith("/orders/"), location
    return location.rsplit("/", 1)[1]


def field(page: str, field_id: str) -> str:
    """The markup of one form field (label, hint, error and input), unescaped."""
    found = re.search(
        rf'<(div|fieldset) class="field[^"]*"[^>]*>\s*<label for="{re.escape(field_id)}">.*?</\1>',
        page,
        re.S,
    )
    assert found, f"no field {field_id!r} on the page"
    return html.unescape(found.group(0))


def alert(page: str) -> str:
    """The text of the page's first role=alert element, unescaped."""
    found = re.search(r'<(\w+)[^>]*role="alert"[^>]*>(.*?)</\1>', page, re.S)
    assert found, "the page shows no alert"
    return html.unescape(re.sub(r"<[^>]+>", " ", found.group(2)))


def input_value(markup: str) -> str | None:
    found = re.search(r'<input[^>]*\bvalue="([^"]*)"', markup)
    return html.unescape(found.group(1)) if found else None
