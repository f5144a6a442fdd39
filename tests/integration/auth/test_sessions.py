"""Refresh rotation, reuse detection, sign-out and the current user."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient

from api.auth.config import AuthSettings
from common.clock import FrozenClock
from common.errors import ConfigurationError
from tests.integration.auth.conftest import PASSWORD, bearer, cookie, signup


def csrf(client: FlaskClient, name: str = "csrf_access_token") -> dict[str, str]:
    return {"X-CSRF-Token": cookie(client, name) or ""}


def tokens(client: FlaskClient, email: str) -> dict[str, str]:
    response = client.post("/api/users/tokens", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200
    return response.json  # type: ignore[no-any-return]  # JSON and Flask extensions are Any


def test_currentuser_is_null_for_anonymous_callers(client: FlaskClient) -> None:
    response = client.get("/api/users/currentuser")
    assert response.status_code == 200
    assert response.json == {"currentUser": None}


def test_currentuser_describes_the_cookie_session(client: FlaskClient) -> None:
    user = signup(client, "me@example.com")
    response = client.get("/api/users/currentuser")
    assert response.json == {"currentUser": {"id": user["id"], "email": "me@example.com"}}


def test_currentuser_is_null_for_a_forged_token(client: FlaskClient) -> None:
    response = client.get("/api/users/currentuser", headers=bearer("not.a.jwt"))
    assert response.status_code == 200
    assert response.json == {"currentUser": None}


def test_refresh_with_cookie_needs_the_csrf_header(client: FlaskClient) -> None:
    signup(client, "csrf@example.com")
    refused = client.post("/api/users/refresh")
    assert refused.status_code == 401
    assert "CSRF" in refused.json["detail"]
    accepted = client.post("/api/users/refresh", headers=csrf(client, "csrf_refresh_token"))
    assert accepted.status_code == 200
    assert "accessToken" not in accepted.json
    assert any(
        c.startswith("refresh_token_cookie=") for c in accepted.headers.getlist("Set-Cookie")
    )


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime.now(UTC))


@pytest.fixture
def clocked(make_app: Callable[..., Flask], clock: FrozenClock) -> FlaskClient:
    """The auth service on a clock the test moves (the grace for a repeated refresh is 10 s)."""
    return make_app(clock=clock).test_client()


def test_refresh_rotates_and_a_reused_token_revokes_the_whole_family(
    clocked: FlaskClient, clock: FrozenClock
) -> None:
    client = clocked
    signup(client, "rot@example.com")
    pair = tokens(client, "rot@example.com")
    first = client.post("/api/users/refresh", headers=bearer(pair["refreshToken"]))
    assert first.status_code == 200
    rotated = first.json
    assert rotated["refreshToken"] != pair["refreshToken"]
    assert rotated["tokenType"] == "Bearer"

    clock.advance(11)  # past the grace: a replay now is a stolen token
    replay = client.post("/api/users/refresh", headers=bearer(pair["refreshToken"]))
    assert replay.status_code == 401
    assert "already used" in replay.json["detail"]
    # The thief's replay revoked the family: the legitimate newest token is dead too.
    newest = client.post("/api/users/refresh", headers=bearer(rotated["refreshToken"]))
    assert newest.status_code == 401
    me = client.get("/api/users/currentuser", headers=bearer(rotated["accessToken"]))
    assert me.json == {"currentUser": None}


def test_other_sessions_survive_a_revoked_family(clocked: FlaskClient, clock: FrozenClock) -> None:
    client = clocked
    signup(client, "two@example.com")
    stolen = tokens(client, "two@example.com")
    other = tokens(client, "two@example.com")
    client.post("/api/users/refresh", headers=bearer(stolen["refreshToken"]))
    clock.advance(11)
    replay = client.post("/api/users/refresh", headers=bearer(stolen["refreshToken"]))
    assert replay.status_code == 401
    assert (
        client.post("/api/users/refresh", headers=bearer(other["refreshToken"])).status_code == 200
    )


def test_two_tabs_refreshing_the_same_session_at_once_both_stay_signed_in(
    clocked: FlaskClient, clock: FrozenClock
) -> None:
    client = clocked
    signup(client, "tabs@example.com")
    pair = tokens(client, "tabs@example.com")
    first = client.post("/api/users/refresh", headers=bearer(pair["refreshToken"]))
    clock.advance(2)  # the second tab's request, with the token the first one just rotated
    second = client.post("/api/users/refresh", headers=bearer(pair["refreshToken"]))
    assert (first.status_code, second.status_code) == (200, 200)
    assert first.json["refreshToken"] != second.json["refreshToken"]
    for successor in (first.json, second.json):  # the family lives: both tabs go on
        me = client.get("/api/users/currentuser", headers=bearer(successor["accessToken"]))
        assert me.json["currentUser"]["email"] == "tabs@example.com"
        again = client.post("/api/users/refresh", headers=bearer(successor["refreshToken"]))
        assert again.status_code == 200


def test_a_repeated_refresh_grace_out_of_range_is_refused(auth_env: dict[str, str]) -> None:
    for bad in ("-1", "61"):
        with pytest.raises(ConfigurationError, match="REFRESH_REUSE_GRACE_SECONDS"):
            AuthSettings.from_env({**auth_env, "REFRESH_REUSE_GRACE_SECONDS": bad})


def test_an_access_token_cannot_be_used_to_refresh(client: FlaskClient) -> None:
    signup(client, "wrongtype@example.com")
    pair = tokens(client, "wrongtype@example.com")
    response = client.post("/api/users/refresh", headers=bearer(pair["accessToken"]))
    assert response.status_code == 401


def test_tokens_endpoint_sets_no_cookies(client: FlaskClient) -> None:
    signup(client, "int@example.com")
    client.delete_cookie("access_token_cookie")
    response = client.post(
        "/api/users/tokens", json={"email": "int@example.com", "password": PASSWORD}
    )
    assert "Set-Cookie" not in response.headers
    assert response.json["tokenType"] == "Bearer"
    assert response.json["expiresIn"] == 900
    me = client.get("/api/users/currentuser", headers=bearer(response.json["accessToken"]))
    assert me.json["currentUser"]["email"] == "int@example.com"


def test_signout_revokes_the_session_and_clears_cookies(client: FlaskClient) -> None:
    signup(client, "bye@example.com")
    refresh_csrf = csrf(client, "csrf_refresh_token")
    response = client.post("/api/users/signout", headers=csrf(client))
    assert response.status_code == 204
    cleared = response.headers.getlist("Set-Cookie")
    assert any(c.startswith("access_token_cookie=;") for c in cleared)
    assert client.get("/api/users/currentuser").json == {"currentUser": None}
    assert client.post("/api/users/refresh", headers=refresh_csrf).status_code == 401


def test_signout_with_cookies_but_without_csrf_is_refused(client: FlaskClient) -> None:
    signup(client, "keep@example.com")
    assert client.post("/api/users/signout").status_code == 401
    assert client.get("/api/users/currentuser").json["currentUser"] is not None


def test_signout_revokes_a_bearer_session(client: FlaskClient) -> None:
    signup(client, "bearer-out@example.com")
    pair = tokens(client, "bearer-out@example.com")
    assert client.post("/api/users/signout", headers=bearer(pair["accessToken"])).status_code == 204
    assert (
        client.post("/api/users/refresh", headers=bearer(pair["refreshToken"])).status_code == 401
    )


def test_signout_without_a_session_still_clears_cookies(client: FlaskClient) -> None:
    response = client.post("/api/users/signout")
    assert response.status_code == 204
