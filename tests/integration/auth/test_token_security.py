"""Tokens that are expired, tampered, unsigned or algorithm-confused are refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask
from flask.testing import FlaskClient

from common.auth.current_user import require_user
from common.auth.tokens import install_jwt
from common.config import ServiceSettings
from common.http.app import create_service_app
from tests.integration.auth.conftest import PASSWORD, bearer, signup


def b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def access_token(client: FlaskClient, email: str) -> str:
    signup(client, email)
    response = client.post("/api/users/tokens", json={"email": email, "password": PASSWORD})
    return response.json["accessToken"]  # type: ignore[no-any-return]  # JSON and Flask extensions are Any


@pytest.fixture
def verifier(auth_env: dict[str, str]) -> FlaskClient:
    """Another service: it holds only the public key and verifies tokens locally."""
    env = {k: v for k, v in auth_env.items() if k != "JWT_PRIVATE_KEY"}
    settings = ServiceSettings.from_env("probe", env)
    assert settings.jwt.private_key is None
    app, _ = create_service_app(
        settings, title="probe", prefix="/api/probe", description="", checks={}
    )
    install_jwt(app, settings.jwt)

    @app.route("/api/probe/whoami", methods=["GET", "POST"])
    def whoami() -> dict[str, str]:
        user = require_user()
        return {"id": str(user.id), "email": user.email}

    return app.test_client()


def status(verifier: FlaskClient, token: str) -> int:
    return verifier.get("/api/probe/whoami", headers=bearer(token)).status_code


def test_another_service_accepts_tokens_signed_by_auth(
    client: FlaskClient, verifier: FlaskClient
) -> None:
    token = access_token(client, "valid@example.com")
    response = verifier.get("/api/probe/whoami", headers=bearer(token))
    assert response.status_code == 200
    assert response.json["email"] == "valid@example.com"


def test_another_service_needs_csrf_for_cookie_sessions(
    client: FlaskClient, verifier: FlaskClient
) -> None:
    signup(client, "cookie@example.com")
    for name in ("access_token_cookie", "csrf_access_token"):
        verifier.set_cookie(name, client.get_cookie(name).value)  # type: ignore[union-attr]  # present here, or the test fails
    assert verifier.get("/api/probe/whoami").status_code == 200
    assert verifier.post("/api/probe/whoami").status_code == 401
    csrf = client.get_cookie("csrf_access_token").value  # type: ignore[union-attr]  # present here, or the test fails
    assert verifier.post("/api/probe/whoami", headers={"X-CSRF-Token": csrf}).status_code == 200
    assert verifier.post("/api/probe/whoami", headers={"X-CSRF-Token": "forged"}).status_code == 401


def test_a_missing_token_gets_a_401_problem(verifier: FlaskClient) -> None:
    response = verifier.get("/api/probe/whoami")
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"


def test_a_refresh_token_is_not_an_access_token(
    verifier: FlaskClient, issue_token: Callable[..., str]
) -> None:
    assert status(verifier, issue_token(token_type="refresh")) == 401


def test_an_expired_token_gets_401(verifier: FlaskClient, issue_token: Callable[..., str]) -> None:
    token = issue_token(expires_in=-60)
    assert status(verifier, token) == 401


def test_a_token_accepted_before_is_refused_once_it_expires(
    verifier: FlaskClient, issue_token: Callable[..., str]
) -> None:
    # Services keep the claims of tokens they verified: expiry must still be checked per use.
    token = issue_token(expires_in=2)
    assert status(verifier, token) == 200
    assert status(verifier, token) == 200
    time.sleep(2.1)
    response = verifier.get("/api/probe/whoami", headers=bearer(token))
    assert response.status_code == 401
    assert response.json["detail"] == "The token has expired."


def test_a_tampered_copy_of_an_accepted_token_gets_401(
    verifier: FlaskClient, issue_token: Callable[..., str]
) -> None:
    token = issue_token()
    assert status(verifier, token) == 200
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["sub"] = str(uuid.uuid4())
    assert status(verifier, f"{header}.{b64(claims)}.{signature}") == 401
    assert status(verifier, token) == 200


def test_a_tampered_payload_gets_401(client: FlaskClient, verifier: FlaskClient) -> None:
    token = access_token(client, "tamper@example.com")
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["sub"] = str(uuid.uuid4())
    assert status(verifier, f"{header}.{b64(claims)}.{signature}") == 401


def test_an_unsigned_alg_none_token_gets_401(verifier: FlaskClient) -> None:
    now = int(time.time())
    claims = {
        "sub": str(uuid.uuid4()),
        "type": "access",
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "iss": "ticketing",
        "jti": "x",
    }
    token = f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}."
    assert status(verifier, token) == 401


def test_an_hs256_token_signed_with_the_public_key_gets_401(
    verifier: FlaskClient, rsa_keys: dict[str, str]
) -> None:
    now = int(time.time())
    claims = {
        "sub": str(uuid.uuid4()),
        "type": "access",
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "iss": "ticketing",
        "jti": "x",
        "fresh": False,
    }
    header = b64({"alg": "HS256", "typ": "JWT"})
    body = b64(claims)
    mac = hmac.new(rsa_keys["public"].encode(), f"{header}.{body}".encode(), hashlib.sha256)
    signature = base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode()
    assert status(verifier, f"{header}.{body}.{signature}") == 401


def test_a_token_from_another_key_gets_401(verifier: FlaskClient) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = other.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    now = int(time.time())
    token = jwt.encode(
        {
            "sub": str(uuid.uuid4()),
            "type": "access",
            "iat": now,
            "nbf": now,
            "exp": now + 600,
            "iss": "ticketing",
            "jti": "x",
        },
        pem,
        algorithm="RS256",
    )
    assert status(verifier, token) == 401


@pytest.mark.parametrize("secret_mode", ["HS256"])
def test_the_shared_secret_mode_signs_and_verifies(
    make_app: Callable[..., Flask], secret_mode: str
) -> None:
    app = make_app(
        JWT_ALGORITHM=secret_mode, JWT_SECRET="s" * 48, JWT_PUBLIC_KEY="", JWT_PRIVATE_KEY=""
    )
    client = app.test_client()
    token = access_token(client, "hs@example.com")
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    assert client.get("/api/users/currentuser", headers=bearer(token)).json["currentUser"]
