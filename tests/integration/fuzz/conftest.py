"""The OpenAPI documents of every service, loaded for property-based fuzzing."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import schemathesis
from schemathesis.schemas import BaseSchema

from api.auth.app import create_app as create_auth_app
from api.auth.config import AuthSettings


@pytest.fixture
def auth_schema(service_env: Callable[..., dict[str, str]]) -> BaseSchema:
    env = service_env("auth", signer=True, SIGNIN_IP_LIMIT="100000", SIGNIN_EMAIL_FAILURES="100000")
    app = create_auth_app(AuthSettings.from_env(env))
    return schemathesis.openapi.from_wsgi("/api/users/openapi.json", app)
