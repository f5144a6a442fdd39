"""The web's own form plumbing: a CSRF token per session, and API errors mapped onto fields."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field

from flask import request, session

from web.client import ApiProblem

CSRF_FIELD = "csrf_token"
CSRF_SESSION_KEY = "csrf"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# A refused form is answered with the API's status when it says more than "invalid" (422).
KEPT_STATUSES = frozenset({402, 403, 404, 409, 429})
GENERIC_DETAILS = frozenset({"Invalid request.", "Invalid request"})


class FormExpired(Exception):
    """A form came back without this session's CSRF token (forged, or the session is gone)."""


def csrf_token() -> str:
    """This session's form token, created on first use."""
    token = session.get(CSRF_SESSION_KEY)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        session[CSRF_SESSION_KEY] = token
    return token


def check_csrf() -> None:
    """Refuse an unsafe request whose form token does not match the session's."""
    if request.method not in UNSAFE_METHODS:
        return
    expected = session.get(CSRF_SESSION_KEY)
    sent = request.form.get(CSRF_FIELD, "")
    if not isinstance(expected, str) or not expected or not sent:
        raise FormExpired()
    if not hmac.compare_digest(expected.encode(), sent.encode()):
        raise FormExpired()


@dataclass
class FormState:
    """What the user typed, and what is wrong with it: per field and for the whole form."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)
    alerts: list[str] = field(default_factory=list)
    status: int = 200

    @classmethod
    def from_request(cls, names: Iterable[str]) -> FormState:
        """The submitted values of the named fields."""
        return cls(values={name: request.form.get(name, "") for name in names})

    @property
    def invalid(self) -> bool:
        return bool(self.errors or self.alerts)

    def value(self, name: str, default: str = "") -> str:
        return self.values.get(name, default)

    def alert(self, message: str, status: int) -> None:
        """A problem with the whole form."""
        self.alerts.append(message)
        self.status = status

    def add_problem(self, problem: ApiProblem) -> None:
        """Put each field error next to its field; the rest goes in the form's alert."""
        self.status = problem.status if problem.status in KEPT_STATUSES else 422
        for error in problem.errors:
            if error.field is not None and error.field in self.values:
                self.errors.setdefault(error.field, []).append(error.message)
            else:
                self.alerts.append(error.message)
        explains = not problem.errors or problem.detail not in GENERIC_DETAILS
        if explains and problem.detail not in self.alerts:
            self.alerts.insert(0, problem.detail)
