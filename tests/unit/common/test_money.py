"""Prices are parsed into integer cents and never pass through floats unchecked."""

from __future__ import annotations

from decimal import Decimal

import pytest

from common.money import InvalidAmount, format_cents, parse_price


@pytest.mark.parametrize(
    ("given", "cents"),
    [
        ("20", 2000),
        ("20.5", 2050),
        ("20.05", 2005),
        (20, 2000),
        (0.1, 10),
        (19.99, 1999),
        ("1000000.00", 100_000_000),
        (Decimal("0.01"), 1),
        (" 7.10 ", 710),
    ],
)
def test_valid_prices_become_cents(given: object, cents: int) -> None:
    assert parse_price(given) == cents


@pytest.mark.parametrize(
    "given",
    [
        "0",
        0,
        -1,
        "-0.01",
        "1000000.01",
        "1.234",
        0.001,
        "abc",
        "",
        True,
        None,
        [],
        "NaN",
        "inf",
        "1e400",
    ],
)
def test_invalid_prices_are_refused(given: object) -> None:
    with pytest.raises(InvalidAmount):
        parse_price(given)


def test_cents_format_with_two_places() -> None:
    assert format_cents(2000) == "20.00"
    assert format_cents(5) == "0.05"
    assert format_cents(100_000_000) == "1000000.00"
