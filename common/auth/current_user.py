"""Who is calling, read from the verified token (no call to the auth service)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from flask_jwt_extended import get_jwt, verify_jwt_in_request

from common.auth.api_keys import check_api_key_claims
from common.errors import Unauthenticated


@dataclass(frozen=True)
class CurrentUser:
    """The signed-in user as the access token describes them."""

    id: uuid.UUID
    email: str


def optional_user() -> CurrentUser | None:
    """The signed-in user, or None for anonymous requests (bad tokens still fail)."""
    if verify_jwt_in_request(optional=True) is None:
        return None
    claims = get_jwt()
    check_api_key_claims(claims)
    try:
        return CurrentUser(id=uuid.UUID(claims["sub"]), email=str(claims.get("email", "")))
    except (KeyError, ValueError) as exc:
        raise Unauthenticated("The token does not name a user.") from exc


def require_user() -> CurrentUser:
    """The signed-in user; 401 otherwise."""
    user = optional_user()
    if user is None:
        raise Unauthenticated()
    return user
