"""Version ordering of replicated records: apply N only on top of N-1."""

from __future__ import annotations

from enum import Enum


class VersionCheck(Enum):
    """What a replica does with an incoming snapshot."""

    APPLY = "apply"
    STALE = "stale"
    AHEAD = "ahead"


def classify_version(current: int | None, incoming: int, *, initial: int = 1) -> VersionCheck:
    """APPLY the successor of `current` (or `initial` with no replica), STALE older, AHEAD newer."""
    expected = initial if current is None else current + 1
    if incoming == expected:
        return VersionCheck.APPLY
    return VersionCheck.STALE if incoming < expected else VersionCheck.AHEAD
