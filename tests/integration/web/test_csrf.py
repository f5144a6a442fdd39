"""The web's own forms refuse posts without this session's token (cross-site forgeries)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from tests.integration.web.pages import PASSWORD, csrf_token, sign_up, submit, text


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_a_form_without_the_sessions_token_is_refused_with_a_friendly_page(
    browser: FlaskClient, token: str | None
) -> None:
    browser.get("/signup")  # the session has a token; the forged post does not carry it
    data = {"email": "mallory@example.com", "password": PASSWORD}
    if token is not None:
        data["csrf_token"] = token

    response = browser.post("/signup", data=data)

    assert response.status_code == 400
    page = text(response)
    assert "This form has expired or did not come from this site." in page
    assert '<link rel="stylesheet" href="/static/css/app.css">' in page
    # Nothing reached the API: the account does not exist, so signing up for real works.
    assert sign_up(browser, "mallory@example.com").status_code == 302


def test_a_token_from_another_session_is_refused(
    browser: FlaskClient, make_browser: Callable[[], FlaskClient]
) -> None:
    sign_up(browser, "victim@example.com")
    attacker = make_browser()
    stolen = csrf_token(text(attacker.get("/signin")))

    response = browser.post("/signout", data={"csrf_token": stolen})

    assert response.status_code == 400
    assert "victim@example.com" in text(browser.get("/"))


def test_the_signed_in_users_forms_work_with_their_token(browser: FlaskClient) -> None:
    sign_up(browser, "ok@example.com")

    response = submit(browser, "/signout", {}, form_page="/")

    assert response.status_code == 302
