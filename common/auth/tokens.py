"""flask-jwt-extended set up the same way in every service (cookies + CSRF, or bearer)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask, Response
from flask_jwt_extended import JWTManager
from flask_jwt_extended.exceptions import CSRFError

from common.config import JwtSettings
from common.http.problems import problem

CSRF_HEADER = "X-CSRF-Token"


def jwt_config(settings: JwtSettings) -> dict[str, Any]:
    """Flask config keys for flask-jwt-extended."""
    config: dict[str, Any] = {
        "JWT_ALGORITHM": settings.algorithm,
        "JWT_DECODE_ALGORITHMS": [settings.algorithm],
        "JWT_TOKEN_LOCATION": ["headers", "cookies"],
        "JWT_HEADER_TYPE": "Bearer",
        "JWT_ACCESS_TOKEN_EXPIRES": timedelta(seconds=settings.access_expires_seconds),
        "JWT_REFRESH_TOKEN_EXPIRES": timedelta(seconds=settings.refresh_expires_seconds),
        "JWT_ENCODE_ISSUER": settings.issuer,
        "JWT_DECODE_ISSUER": settings.issuer,
        "JWT_COOKIE_SECURE": settings.cookie_secure,
        "JWT_COOKIE_SAMESITE": settings.cookie_samesite,
        "JWT_COOKIE_CSRF_PROTECT": True,
        "JWT_CSRF_IN_COOKIES": True,
        "JWT_CSRF_CHECK_FORM": False,
        "JWT_ACCESS_CSRF_HEADER_NAME": CSRF_HEADER,
        "JWT_REFRESH_CSRF_HEADER_NAME": CSRF_HEADER,
        "JWT_ACCESS_COOKIE_PATH": "/",
        "JWT_REFRESH_COOKIE_PATH": "/",
        "JWT_ACCESS_CSRF_COOKIE_PATH": "/",
        "JWT_REFRESH_CSRF_COOKIE_PATH": "/",
        "JWT_SESSION_COOKIE": False,
        "JWT_ERROR_MESSAGE_KEY": "detail",
    }
    if settings.asymmetric:
        config["JWT_PUBLIC_KEY"] = settings.public_key
        if settings.private_key:
            config["JWT_PRIVATE_KEY"] = settings.private_key
    else:
        config["JWT_SECRET_KEY"] = settings.secret
    return config


def _unauthorized(detail: str) -> Response:
    return problem(401, detail)


def install_jwt(app: Flask, settings: JwtSettings) -> JWTManager:
    """Verify tokens locally; every token failure is a 401 problem."""
    app.config.update(jwt_config(settings))
    manager = JWTManager(app)
    manager.unauthorized_loader(lambda reason: _unauthorized("Not signed in."))
    manager.invalid_token_loader(lambda reason: _unauthorized("The token is invalid."))
    manager.expired_token_loader(lambda header, payload: _unauthorized("The token has expired."))
    manager.revoked_token_loader(lambda header, payload: _unauthorized("The token was revoked."))
    manager.needs_fresh_token_loader(lambda header, payload: _unauthorized("Sign in again."))
    manager.token_verification_failed_loader(
        lambda header, payload: _unauthorized("The token is invalid.")
    )
    manager.user_lookup_error_loader(lambda header, payload: _unauthorized("Unknown user."))
    app.register_error_handler(
        CSRFError, lambda error: _unauthorized("Missing or invalid CSRF token (X-CSRF-Token).")
    )
    return manager
