"""The buyers' and sellers' side: the public HTTP API through the gateway, with bearer tokens."""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

import requests

# What a client retries: the gateway could not reach a service (killed, restarting) or the
# connection broke. Every request retried this way is safe to repeat or is checked after.
TRANSIENT = frozenset({0, 502, 503, 504})
PASSWORD = "fault injection run"  # noqa: S105 - throwaway users of a scratch database


@dataclass(frozen=True)
class Answer:
    """A response: its status (0 when the connection failed) and its JSON body."""

    status: int
    body: dict[str, Any]
    transient_retries: int = 0


@dataclass(frozen=True)
class User:
    """A signed-up user and their bearer token."""

    id: str
    email: str
    token: str


class Api:
    """JSON requests to the gateway, one keep-alive session per thread."""

    def __init__(self, base_url: str, timeout: float = 30) -> None:
        self.base_url = base_url
        self.timeout = timeout
        self._local = threading.local()
        self.transient_lock = threading.Lock()
        self.transient_total = 0

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            self._local.session = session
        return session

    def once(
        self, method: str, path: str, body: dict[str, Any] | None = None, token: str | None = None
    ) -> Answer:
        """One attempt; status 0 when no answer came back."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            response = self._session().request(
                method, self.base_url + path, json=body, headers=headers, timeout=self.timeout
            )
        except requests.RequestException:
            self._local.session = None
            return Answer(0, {})
        try:
            parsed = response.json() if response.content else {}
        except ValueError:
            parsed = {}
        return Answer(response.status_code, parsed if isinstance(parsed, dict) else {})

    def call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        token: str | None = None,
        *,
        attempts: int = 8,
    ) -> Answer:
        """Send, and again (with backoff) while the answer is transient."""
        delay = 0.25
        for attempt in range(attempts):
            answer = self.once(method, path, body, token)
            if answer.status not in TRANSIENT or attempt == attempts - 1:
                return Answer(answer.status, answer.body, attempt)
            with self.transient_lock:
                self.transient_total += 1
            time.sleep(delay)
            delay = min(delay * 2, 4.0)
        raise AssertionError("unreachable")


def sign_up(api: Api, label: str) -> User:
    """A new user with a bearer token (POST /api/users/signup, then /tokens)."""
    email = f"{label}-{uuid.uuid4().hex[:12]}@faults.example.com"
    credentials = {"email": email, "password": PASSWORD}
    created = api.call("POST", "/api/users/signup", credentials)
    if created.status != 201:
        raise RuntimeError(f"signup answered {created.status}: {created.body}")
    tokens = api.call("POST", "/api/users/tokens", credentials)
    if tokens.status != 200:
        raise RuntimeError(f"tokens answered {tokens.status}: {tokens.body}")
    return User(str(created.body["id"]), email, str(tokens.body["accessToken"]))
