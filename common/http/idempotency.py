"""Idempotency-Key on POSTs that create something, with Stripe's semantics.

The first request under a key claims it in Redis (one Lua step, so of two simultaneous
requests exactly one runs); its answer is kept for 24 hours and replayed, with
`Idempotent-Replayed: true`, to a retry with the same body. The same key with another body
gets 422; a retry while the first is still running gets 409. Keys are scoped to the caller.

A claim is a lease: if the process dies mid-request, the key frees itself after
`IN_FLIGHT_SECONDS` and a retry runs again. The use cases behind these routes stay safe to
run twice on their own (one live order per ticket, one charge per order through Stripe's
own idempotency key), so a retry after such a crash never makes a second order or charge.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import redis
from flask import Flask, Response, current_app, request
from flask_smorest import Blueprint

from common.auth.current_user import require_user
from common.errors import (
    BadRequest,
    Conflict,
    FieldError,
    ServiceUnavailable,
    TicketingError,
    ValidationFailed,
)
from common.http.problems import documents_problem, handle_ticketing_error

F = TypeVar("F", bound=Callable[..., Any])

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEEP_SECONDS = 24 * 3600
IN_FLIGHT_SECONDS = 60
KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,255}$")
# Answers that say nothing was done (or only that the caller must wait) are not kept, so a
# retry with the same key runs again (Stripe does the same with validation errors).
NOT_KEPT = frozenset({400, 401, 409, 415, 422, 429})
REPLAYED_RESPONSE_HEADERS = ("Content-Type", "Location")

PARAMETER = {
    "in": "header",
    "name": HEADER,
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
    "example": "5d3c7b9e-8f1a-4c2b-9e6d-2a7f0c1b3e4d",
    "description": "Makes a retry safe: send a unique value (a UUID) per operation and the "
    "same value when you retry it. Within 24 hours the same key with the same body returns "
    "the first answer again (same status and body, header `Idempotent-Replayed: true`); with "
    "a different body it is refused with 422; while the first request is still running, 409. "
    "Keys are scoped to the caller.",
}

IDEMPOTENCY_PROBLEMS = {
    409: f"A request with this {HEADER} is still in progress",
    422: f"This {HEADER} was used with a different request",
}

# KEYS[1] the key; ARGV[1] the in-flight record, ARGV[2] its lease. Returns the stored record,
# or nil when this request now owns the key.
_CLAIM = """
local found = redis.call('GET', KEYS[1])
if found then return found end
redis.call('SET', KEYS[1], ARGV[1], 'EX', tonumber(ARGV[2]))
return false
"""
# Replace (ARGV[2], kept ARGV[3] s) or delete (ARGV[2] == '') the record only if it is still ours.
_SETTLE = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] == '' then redis.call('DEL', KEYS[1]) return 1 end
redis.call('SET', KEYS[1], ARGV[2], 'EX', tonumber(ARGV[3]))
return 1
"""


@dataclass(frozen=True)
class Claim:
    """This request owns the key: the in-flight record it wrote."""

    redis_key: str
    record: str


class IdempotencyStore:
    """Claims, answers and releases keys in Redis (6.2-compatible Lua)."""

    def __init__(self, client: redis.Redis, namespace: str) -> None:
        self._client = client
        self._namespace = namespace
        self._claim = client.register_script(_CLAIM)
        self._settle = client.register_script(_SETTLE)

    def claim(self, caller: str, key: str, fingerprint: str) -> Claim | dict[str, Any]:
        """Own the key (a Claim), or the record already under it."""
        redis_key = f"idempotency:{self._namespace}:{caller}:{key}"
        record = json.dumps(
            {"state": "running", "fingerprint": fingerprint, "token": secrets.token_hex(8)}
        )
        found = self._claim(keys=[redis_key], args=[record, IN_FLIGHT_SECONDS])
        if found is None:
            return Claim(redis_key, record)
        return dict(json.loads(found))

    def keep(self, claim: Claim, fingerprint: str, response: Response) -> None:
        """Keep the answer for KEEP_SECONDS under the claimed key."""
        record = {
            "state": "done",
            "fingerprint": fingerprint,
            "status": response.status_code,
            "body": response.get_data(as_text=True),
            "headers": {
                name: response.headers[name]
                for name in REPLAYED_RESPONSE_HEADERS
                if name in response.headers
            },
        }
        self._settle(keys=[claim.redis_key], args=[claim.record, json.dumps(record), KEEP_SECONDS])

    def release(self, claim: Claim) -> None:
        """Forget the key, so a retry runs again."""
        self._settle(keys=[claim.redis_key], args=[claim.record, "", 0])


def store_of(app: Flask) -> IdempotencyStore:
    """The app's store, connected on first use (never at import)."""
    store = app.extensions.get("idempotency_store")
    if store is None:
        settings = app.extensions["settings"]
        client = redis.Redis.from_url(settings.redis_url, socket_timeout=2)
        store = IdempotencyStore(client, settings.service)
        app.extensions["idempotency_store"] = store
    return store  # type: ignore[no-any-return]


def fingerprint_of_request() -> str:
    """What makes two requests the same: method, path and body (JSON compared by value)."""
    raw = request.get_data(cache=True)
    try:
        body = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        body = raw
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    digest.update(body)
    return digest.hexdigest()


def replay(record: dict[str, Any]) -> Response:
    """The kept answer again, marked as a replay."""
    response = Response(record["body"], status=record["status"])
    for name, value in record["headers"].items():
        response.headers[name] = value
    response.headers[REPLAYED_HEADER] = "true"
    return response


def idempotent(blp: Blueprint) -> Callable[[F], F]:
    """Honour an Idempotency-Key header on this view and document it."""

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            key = request.headers.get(HEADER)
            if key is None:
                return view(*args, **kwargs)
            return _run_once(key, lambda: view(*args, **kwargs))

        documented: F = blp.doc(parameters=[PARAMETER])(wrapper)
        known = getattr(documented, "_apidoc", {}).get("response", {}).get("responses", {})
        for status, meaning in IDEMPOTENCY_PROBLEMS.items():
            if status not in known:
                documented = documents_problem(blp, status, meaning)(documented)
        return documented

    return decorator


def _header_error(message: str) -> FieldError:
    return FieldError(message, HEADER)


def _run_once(key: str, run: Callable[[], Any]) -> Response:
    if not KEY_PATTERN.match(key):
        raise BadRequest(errors=[_header_error("Use 1-255 visible ASCII characters.")])
    caller = str(require_user().id)
    fingerprint = fingerprint_of_request()
    store = store_of(current_app._get_current_object())  # type: ignore[attr-defined]
    try:
        claimed = store.claim(caller, key, fingerprint)
    except redis.RedisError as exc:
        raise ServiceUnavailable("Idempotency keys are unavailable; try again shortly.") from exc
    if not isinstance(claimed, Claim):
        if claimed["fingerprint"] != fingerprint:
            raise ValidationFailed(
                errors=[_header_error("This key was used with a different request; use a new key.")]
            )
        if claimed["state"] == "running":
            raise Conflict(
                errors=[_header_error("A request with this key is still in progress; retry later.")]
            )
        return replay(claimed)
    try:
        try:
            response = current_app.make_response(run())
        except TicketingError as error:
            response = handle_ticketing_error(error)
    except BaseException:
        store.release(claimed)
        raise
    if response.status_code >= 500 or response.status_code in NOT_KEPT:
        store.release(claimed)
    else:
        store.keep(claimed, fingerprint, response)
    return response
