"""Pure rules of identity: email normalisation and what a refresh attempt means."""

from __future__ import annotations

import enum
import hashlib


def normalise_email(email: str) -> str:
    """Emails compare case-insensitively and without surrounding spaces."""
    return email.strip().lower()


def token_fingerprint(jti: str) -> str:
    """Refresh tokens are stored only as a hash of their id."""
    return hashlib.sha256(jti.encode()).hexdigest()


class RefreshOutcome(enum.Enum):
    """What presenting a refresh token leads to."""

    ROTATED = "rotated"
    REUSED = "reused"  # an already-rotated token: the whole family is revoked
    REVOKED = "revoked"
    UNKNOWN = "unknown"
