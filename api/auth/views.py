"""HTTP routes of the auth service: parse, call one use case, serialise."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Response, after_this_request, current_app, request
from flask.views import MethodView
from flask_jwt_extended import (
    get_jwt,
    get_jwt_request_location,
    jwt_required,
    set_access_cookies,
    set_refresh_cookies,
    unset_jwt_cookies,
    verify_jwt_in_request,
)
from flask_jwt_extended.exceptions import (
    JWTExtendedException,
    NoAuthorizationError,
    RevokedTokenError,
    WrongTokenError,
)
from flask_smorest import Blueprint
from jwt import ExpiredSignatureError, PyJWTError

from api.auth.models import User
from api.auth.schemas import (
    CredentialsSchema,
    CurrentUserSchema,
    RefreshResultSchema,
    SignupSchema,
    TokenPairSchema,
    UserSchema,
)
from api.auth.services import AuthService, SignedIn
from common.auth.current_user import optional_user
from common.clock import isoformat_z
from common.errors import Unauthenticated
from common.http.docs import SECURITY
from common.http.problems import PROBLEM_JSON, ProblemSchema, documents_problem

blp = Blueprint(
    "users",
    __name__,
    url_prefix="/api/users",
    description="Accounts, sessions (cookies + CSRF) and bearer tokens.",
)


# The one problem-documenting helper (common.http.problems), bound to this blueprint.
problem = functools.partial(documents_problem, blp)


F = TypeVar("F", bound=Callable[..., Any])

RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds until the caller may try again.",
        "schema": {"type": "integer", "minimum": 1},
    }
}


def rate_limited(description: str) -> Callable[[F], F]:
    """Document a 429 problem with its Retry-After header."""
    decorator: Callable[[F], F] = blp.alt_response(
        429,
        schema=ProblemSchema,
        content_type=PROBLEM_JSON,
        description=description,
        headers=RETRY_AFTER,
    )
    return decorator


def service() -> AuthService:
    return current_app.extensions["auth_service"]  # type: ignore[no-any-return]  # Flask's extensions dict holds Any


def client_ip() -> str:
    """The caller's address, as the trusted proxies in front of us saw it."""
    return request.remote_addr or ""


def user_body(user: User) -> dict[str, Any]:
    return {"id": user.id, "email": user.email, "createdAt": isoformat_z(user.created_at)}


def set_session_cookies(signed_in: SignedIn) -> None:
    """Put the tokens in HTTP-only cookies (and the readable CSRF cookies) on the response."""

    # Each cookie lives exactly as long as its token (flask-jwt-extended would say a year).
    access_seconds = signed_in.tokens.access_expires_in
    refresh_seconds = service().refresh_expires_in

    @after_this_request
    def attach(response: Response) -> Response:
        set_access_cookies(response, signed_in.tokens.access, max_age=access_seconds)
        set_refresh_cookies(response, signed_in.tokens.refresh, max_age=refresh_seconds)
        return response


def token_pair(signed_in: SignedIn) -> dict[str, Any]:
    return {
        "accessToken": signed_in.tokens.access,
        "refreshToken": signed_in.tokens.refresh,
        "tokenType": "Bearer",
        "expiresIn": signed_in.tokens.access_expires_in,
    }


@blp.route("/signup")
class Signup(MethodView):
    @blp.doc(operationId="signUp")
    @blp.arguments(SignupSchema)
    @blp.response(201, UserSchema)
    @problem(409, "The email is already registered")
    @rate_limited("Too many new accounts from this address")
    def post(self, body: dict[str, str]) -> dict[str, Any]:
        """Create an account and sign in (sets the session cookies)."""
        signed_in = service().signup(body["email"], body["password"], client_ip())
        set_session_cookies(signed_in)
        return user_body(signed_in.user)


@blp.route("/signin")
class Signin(MethodView):
    @blp.doc(operationId="signIn")
    @blp.arguments(CredentialsSchema)
    @blp.response(200, UserSchema)
    @problem(401, "Wrong email or password")
    @rate_limited("Too many attempts from this address, or for this account from it")
    def post(self, body: dict[str, str]) -> dict[str, Any]:
        """Sign in with email and password (sets the session cookies)."""
        signed_in = service().signin(body["email"], body["password"], client_ip())
        set_session_cookies(signed_in)
        return user_body(signed_in.user)


@blp.route("/tokens")
class Tokens(MethodView):
    @blp.doc(operationId="createTokens")
    @blp.arguments(CredentialsSchema)
    @blp.response(200, TokenPairSchema)
    @problem(401, "Wrong email or password")
    @rate_limited("Too many attempts from this address, or for this account from it")
    def post(self, body: dict[str, str]) -> dict[str, Any]:
        """Get bearer tokens for API integrations (no cookies)."""
        signed_in = service().signin(body["email"], body["password"], client_ip())
        return token_pair(signed_in)


@blp.route("/refresh")
class Refresh(MethodView):
    @blp.doc(operationId="refreshTokens")
    @blp.doc(security=[{"bearerAuth": []}, {"cookieAuth": []}])
    @blp.response(200, RefreshResultSchema)
    @problem(401, "Missing, used, revoked or expired refresh token")
    @jwt_required(refresh=True)
    def post(self) -> dict[str, Any]:
        """Rotate the refresh token (cookie + X-CSRF-Token, or `Authorization: Bearer`)."""
        claims = get_jwt()
        signed_in = service().refresh(claims["jti"], claims.get("fam", ""), claims["sub"])
        result: dict[str, Any] = {
            "user": {"id": signed_in.user.id, "email": signed_in.user.email},
            "expiresIn": signed_in.tokens.access_expires_in,
        }
        if get_jwt_request_location() == "cookies":
            set_session_cookies(signed_in)
        else:
            result.update(token_pair(signed_in))
        return result


def _session_family() -> str | None:
    """The token family of the caller's session, from the access or the refresh token."""
    for refresh in (False, True):
        try:
            if verify_jwt_in_request(optional=True, refresh=refresh):
                return str(get_jwt().get("fam") or "") or None
        except (ExpiredSignatureError, NoAuthorizationError, RevokedTokenError, WrongTokenError):
            continue
    return None


@blp.route("/signout")
class Signout(MethodView):
    @blp.doc(operationId="signOut")
    @blp.doc(security=[{}, *SECURITY])
    @blp.response(204)
    @problem(401, "A cookie session without X-CSRF-Token, or a forged token")
    def post(self) -> Response:
        """Revoke this session's tokens and clear the cookies."""
        service().signout(_session_family())
        response = Response(status=204)
        unset_jwt_cookies(response)
        return response


@blp.route("/currentuser")
class CurrentUserView(MethodView):
    @blp.doc(operationId="getCurrentUser")
    @blp.doc(security=[{}, *SECURITY])
    @blp.response(200, CurrentUserSchema)
    def get(self) -> dict[str, Any]:
        """The signed-in user, or `null` (never an error for a missing or stale token)."""
        try:
            user = optional_user()
        except (JWTExtendedException, PyJWTError, Unauthenticated):
            user = None  # an expired, revoked or forged token means "not signed in" here
        return {"currentUser": None if user is None else {"id": user.id, "email": user.email}}
