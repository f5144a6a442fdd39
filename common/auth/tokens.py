"""flask-jwt-extended set up the same way in every service (cookies + CSRF, or bearer)."""

from __future__ import annotations

import functools
import time
from datetime import timedelta
from typing import Any

import redis
from flask import Flask, Response
from flask_jwt_extended import JWTManager, view_decorators
from flask_jwt_extended.config import config as jwt_extended_config
from flask_jwt_extended.exceptions import CSRFError

from common.auth.revocation import RevokedFamilies
from common.config import JwtSettings, ServiceSettings
from common.http.problems import problem

CSRF_HEADER = "X-CSRF-Token"
VERIFIED_TOKENS_KEPT = 4096
# The check is on every authenticated request: it waits little for an unreachable Redis.
REVOCATION_TIMEOUT_SECONDS = 0.25
REVOCATION_MARGIN_SECONDS = 60


class VerifyingOnceJWTManager(JWTManager):
    """A JWTManager that verifies a token's signature once per process, not on every request.

    A browser or an integrator sends the same access token for up to 15 minutes, and
    PyJWT's checks of one RS256 token cost more CPU than the rest of a typical request. The
    claims of a token that verified (signature, issuer, not-before) are kept, keyed by the
    token's exact text and CSRF value; expiry is checked again on every use, and a token that
    fails is never kept, so every answer is the one full verification would give.
    """

    def __init__(self, app: Flask) -> None:
        super().__init__(app)
        self._verified = functools.lru_cache(maxsize=VERIFIED_TOKENS_KEPT)(self._verify)

    def _verify(self, encoded_token: str, csrf_value: str | None) -> dict[str, Any]:
        return super()._decode_jwt_from_config(encoded_token, csrf_value, allow_expired=True)

    def _decode_jwt_from_config(
        self, encoded_token: str, csrf_value: str | None = None, allow_expired: bool = False
    ) -> dict[str, Any]:
        claims = self._verified(encoded_token, csrf_value)
        expires = claims.get("exp")
        if allow_expired or expires is None or time.time() < expires + _leeway():
            return dict(claims)
        # Expired: the full path raises the error flask-jwt-extended answers with.
        return super()._decode_jwt_from_config(encoded_token, csrf_value, allow_expired)


def _leeway() -> float:
    return float(jwt_extended_config.leeway)


def _cache_unverified_headers() -> None:
    """Keep the answer of flask-jwt-extended's header read per token (once per process).

    Every protected request also reads the token's header without verifying it, which PyJWT
    makes as costly as a verification (it checks each character of all three segments). A
    header is a pure function of the token's text, so the answer for a token is kept too.
    """
    read_header = getattr(view_decorators, "get_unverified_jwt_headers")  # noqa: B009 (a private function, named as a string to patch it)
    if not hasattr(read_header, "cache_info"):
        cached = functools.lru_cache(maxsize=VERIFIED_TOKENS_KEPT)(read_header)
        setattr(view_decorators, "get_unverified_jwt_headers", cached)  # noqa: B010 (the same private function, replaced by its cached form)


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


def install_revocation_check(app: Flask, manager: JWTManager, settings: JwtSettings) -> None:
    """Refuse tokens of families auth revoked, read from the service's Redis."""
    service: ServiceSettings | None = app.extensions.get("settings")
    if service is None:
        return
    client = redis.Redis.from_url(
        service.redis_url,
        socket_timeout=REVOCATION_TIMEOUT_SECONDS,
        socket_connect_timeout=REVOCATION_TIMEOUT_SECONDS,
    )
    metrics = app.extensions.get("metrics")
    revocations = RevokedFamilies(
        client,
        # An access token issued just before the revocation is the last one to expire.
        ttl_seconds=settings.access_expires_seconds + REVOCATION_MARGIN_SECONDS,
        registry=metrics.registry if metrics is not None else None,
    )
    app.extensions["revocations"] = revocations

    @manager.token_in_blocklist_loader
    def family_revoked(header: dict[str, Any], payload: dict[str, Any]) -> bool:
        return revocations.is_revoked(payload.get("fam"))


def install_jwt(app: Flask, settings: JwtSettings) -> JWTManager:
    """Verify tokens locally (and against revoked families); every failure is a 401 problem."""
    app.config.update(jwt_config(settings))
    _cache_unverified_headers()
    manager = VerifyingOnceJWTManager(app)
    install_revocation_check(app, manager, settings)
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
