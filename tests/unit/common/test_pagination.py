"""The one keyset cursor of every list: opaque, and refused when we did not make it (no I/O)."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime

import pytest

from common.errors import ValidationFailed
from common.pagination import Cursor, decode_cursor


def test_a_cursor_gives_back_the_position_it_was_made_from() -> None:
    position = Cursor(datetime(2026, 11, 24, 20, 0, 0, 123456, tzinfo=UTC), uuid.uuid4())
    cursor = position.encode()
    assert cursor.replace("-", "").replace("_", "").isalnum()
    assert decode_cursor(cursor) == position


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "!!!",
        "bm90IGpzb24",
        "encode",
        "WyIyMDI2LTExLTI0VDIwOjAwOjAwIiwgIngiXQ",  # ["2026-11-24T20:00:00", "x"]
        "WyIyMDI2LTExLTI0VDIwOjAwOjAwIl0",  # a list of one
        "NDI",  # 42
    ],
)
def test_a_cursor_we_did_not_make_is_a_validation_error(cursor: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        decode_cursor(cursor)
    assert refused.value.errors[0].field == "cursor"


def test_a_cursor_without_a_timezone_is_refused() -> None:
    raw = json.dumps({"c": "2026-11-24T20:00:00", "i": str(uuid.uuid4())}).encode()
    with pytest.raises(ValidationFailed):
        decode_cursor(base64.urlsafe_b64encode(raw).decode())
