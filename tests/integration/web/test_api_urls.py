"""The web reaches each API at its own address (Kubernetes Services), else through the gateway."""

from __future__ import annotations

import pytest

from common.errors import ConfigurationError
from tests.e2e.local_stack.upstreams import echo_app, serving
from web.client import ApiClient
from web.config import WebSettings


def test_api_urls_are_read_longest_prefix_first() -> None:
    settings = WebSettings.from_env(
        {"API_URLS": "/api/users=http://auth, /api/users/admin=http://admin:8080/"}
    )
    assert settings.api_urls == (
        ("/api/users/admin", "http://admin:8080"),
        ("/api/users", "http://auth"),
    )
    assert WebSettings.from_env({}).api_urls == ()


@pytest.mark.parametrize("raw", ["api/users=http://auth", "/api/users=auth", "/api/users"])
def test_a_bad_api_url_is_refused_at_start(raw: str) -> None:
    with pytest.raises(ConfigurationError, match="API_URLS"):
        WebSettings.from_env({"API_URLS": raw})


def test_each_api_path_goes_to_its_own_service_and_the_rest_to_the_gateway() -> None:
    with (
        serving(echo_app("auth")) as auth_port,
        serving(echo_app("gateway")) as gateway_port,
    ):
        client = ApiClient(
            f"http://127.0.0.1:{gateway_port}",
            connect_timeout=2,
            read_timeout=5,
            api_urls=(("/api/users", f"http://127.0.0.1:{auth_port}"),),
        )
        try:
            heard = {
                path: client.send("GET", path, headers={}).body["upstream"]
                for path in ("/api/users/currentuser", "/api/users", "/api/usersx", "/api/tickets")
            }
        finally:
            client.close()
    assert heard == {
        "/api/users/currentuser": "auth",
        "/api/users": "auth",
        "/api/usersx": "gateway",
        "/api/tickets": "gateway",
    }
