"""Stripe's idempotency keys: replay the first response, refuse reuse with other parameters."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from devtools.stripe_standin import errors

KEY_TTL_SECONDS = 24 * 60 * 60
MAX_KEY_LENGTH = 255
_PRUNE_EVERY_SECONDS = 60.0


@dataclass(frozen=True)
class ApiResponse:
    """A finished API response: what is sent, and what a replay sends again."""

    status: int
    body: bytes
    request_id: str


@dataclass(frozen=True)
class Fingerprint:
    """What makes two requests "the same": method and path, and the decoded parameters."""

    method: str
    path: str
    params: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, method: str, path: str, pairs: list[tuple[str, str]]) -> Fingerprint:
        """Fingerprint a request; parameter order does not matter, values do."""
        return cls(method, path, tuple(sorted(pairs)))


@dataclass
class _Slot:
    """One key's lock and, once a request has run to completion, its saved response."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    touched: float = 0.0
    fingerprint: Fingerprint | None = None
    response: ApiResponse | None = None


Execution = Callable[[], tuple[ApiResponse, bool]]


class IdempotencyStore:
    """Saved responses per (API key, idempotency key); one request per key runs at a time."""

    def __init__(
        self, ttl_seconds: float = KEY_TTL_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl = ttl_seconds
        self._clock = clock
        self._guard = threading.Lock()
        self._slots: dict[tuple[str, str], _Slot] = {}
        self._pruned_at = clock()

    def run(
        self, scope: tuple[str, str], fingerprint: Fingerprint, execute: Execution
    ) -> tuple[ApiResponse, bool]:
        """Run `execute` once per key and replay its saved response; True means replayed."""
        slot = self._slot(scope)
        with slot.lock:
            slot.touched = self._clock()
            if slot.response is not None and slot.fingerprint is not None:
                self._check_same_request(scope[1], slot.fingerprint, fingerprint)
                return slot.response, True
            # Stripe saves no result for a request that failed validation, so the same key
            # may be tried again; `execute` says whether its response is one to keep.
            response, keep = execute()
            if keep:
                slot.fingerprint, slot.response = fingerprint, response
            return response, False

    def clear(self) -> None:
        """Forget every key."""
        with self._guard:
            self._slots.clear()

    def _slot(self, scope: tuple[str, str]) -> _Slot:
        """The slot for a key, created on first use; old unused slots are dropped."""
        with self._guard:
            now = self._clock()
            if now - self._pruned_at > _PRUNE_EVERY_SECONDS:
                self._prune(now)
            slot = self._slots.get(scope)
            if slot is None:
                slot = self._slots[scope] = _Slot(touched=now)
            return slot

    def _prune(self, now: float) -> None:
        """Drop keys older than the TTL, as Stripe expires them after 24 hours."""
        self._pruned_at = now
        for scope, slot in list(self._slots.items()):
            if now - slot.touched > self._ttl and not slot.lock.locked():
                del self._slots[scope]

    @staticmethod
    def _check_same_request(key: str, first: Fingerprint, again: Fingerprint) -> None:
        """Stripe's `idempotency_error` when a key is reused for a different request."""
        if (first.method, first.path) != (again.method, again.path):
            raise errors.idempotency(
                "Keys for idempotent requests can only be used for the same endpoint they were "
                f"first used for ('{again.path}' vs '{first.path}'). Try using a key other than "
                f"'{key}' if you meant to execute a different request."
            )
        if first.params != again.params:
            raise errors.idempotency(
                "Keys for idempotent requests can only be used with the same parameters they "
                f"were first used with. Try using a key other than '{key}' if you meant to "
                "execute a different request."
            )
