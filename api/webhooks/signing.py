"""Signatures of deliveries, the way Stripe signs its own: t=<time>,v1=HMAC-SHA256(t.body)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Sequence

SIGNATURE_HEADER = "Ticketing-Signature"
EVENT_ID_HEADER = "Ticketing-Event-Id"
EVENT_TYPE_HEADER = "Ticketing-Event-Type"
SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)
DEFAULT_TOLERANCE_SECONDS = 300


class SignatureMismatch(ValueError):
    """The signature header is missing, malformed, too old or made with another secret."""


def new_secret() -> str:
    """A fresh endpoint secret."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def sign(body: bytes, secrets_in_use: Sequence[str], timestamp: int) -> str:
    """The header value: one v1 per secret still valid (two while a rolled secret lives on)."""
    signed = f"{timestamp}.".encode() + body
    parts = [f"t={timestamp}"]
    for secret in secrets_in_use:
        digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
        parts.append(f"v1={digest}")
    return ",".join(parts)


def verify(
    body: bytes,
    header: str | None,
    secret: str,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> None:
    """What a receiver does: check that one v1 matches and the timestamp is recent."""
    if not header:
        raise SignatureMismatch("no signature header")
    pairs = [part.split("=", 1) for part in header.split(",") if "=" in part]
    stamps = [value for key, value in pairs if key == "t"]
    signatures = [value for key, value in pairs if key == "v1"]
    if len(stamps) != 1 or not stamps[0].isdigit() or not signatures:
        raise SignatureMismatch("malformed signature header")
    timestamp = int(stamps[0])
    if abs((now if now is not None else time.time()) - timestamp) > tolerance:
        raise SignatureMismatch("timestamp outside the tolerance")
    expected = sign(body, [secret], timestamp).split(",v1=")[1]
    if not any(hmac.compare_digest(expected, candidate) for candidate in signatures):
        raise SignatureMismatch("no signature matches the secret")
