"""Fixtures of the security suite: the auth app, and the web in front of the real APIs."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask

from api.auth.app import create_app as create_auth_app
from api.auth.config import AuthSettings

# The web suite's stack (APIs behind the Python gateway, the web in-process) is reused as is.
from tests.web.conftest import (  # noqa: F401 (fixtures)
    api_env,
    backend,
    browser,
    make_browser,
    make_web,
    web_app,
    web_env,
)


@pytest.fixture
def auth_env(service_env: Callable[..., dict[str, str]]) -> dict[str, str]:
    return service_env("auth", signer=True)


@pytest.fixture
def make_auth(auth_env: dict[str, str]) -> Callable[..., Flask]:
    """An auth app with these settings on top of the test environment."""

    def make(**overrides: str) -> Flask:
        return create_auth_app(AuthSettings.from_env({**auth_env, **overrides}))

    return make
