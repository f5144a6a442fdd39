"""The operator role, read from the verified access token (granted by api.auth.operators)."""

from __future__ import annotations

from flask_jwt_extended import get_jwt

from common.auth.current_user import CurrentUser, require_user
from common.errors import Forbidden

OPERATOR = "operator"


def is_operator() -> bool:
    """Whether the request's verified token carries the operator role."""
    roles = get_jwt().get("roles")
    return isinstance(roles, list) and OPERATOR in roles


def require_operator() -> CurrentUser:
    """The signed-in operator; 401 when not signed in, 403 for everyone else."""
    user = require_user()
    if not is_operator():
        raise Forbidden("Only operators may use the operators' console.")
    return user
