"""A replica applies version N only on top of N-1."""

from __future__ import annotations

import pytest

from common.events.versions import VersionCheck, classify_version


@pytest.mark.parametrize(
    ("current", "incoming", "expected"),
    [
        (None, 1, VersionCheck.APPLY),
        (None, 2, VersionCheck.AHEAD),
        (None, 0, VersionCheck.STALE),
        (1, 2, VersionCheck.APPLY),
        (1, 1, VersionCheck.STALE),
        (3, 2, VersionCheck.STALE),
        (1, 3, VersionCheck.AHEAD),
    ],
)
def test_classify_version(current: int | None, incoming: int, expected: VersionCheck) -> None:
    assert classify_version(current, incoming) is expected


def test_the_first_version_can_be_zero() -> None:
    assert classify_version(None, 0, initial=0) is VersionCheck.APPLY
    assert classify_version(None, 1, initial=0) is VersionCheck.AHEAD
