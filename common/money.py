"""Money as integer cents with a currency; never a float."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

MAX_CENTS = 100_000_000  # 1,000,000.00
DEFAULT_CURRENCY = "usd"


class InvalidAmount(ValueError):
    """The text or number is not a valid price."""


@dataclass(frozen=True, order=True)
class Money:
    """An amount in the currency's minor unit (cents)."""

    cents: int
    currency: str = DEFAULT_CURRENCY

    def __str__(self) -> str:
        return format_cents(self.cents)


def format_cents(cents: int) -> str:
    """20_00 -> '20.00'."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}{whole}.{part:02d}"


def parse_price(value: object) -> int:
    """A number or decimal string with at most two places, > 0 and <= 1,000,000.00, as cents."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise InvalidAmount("Price must be a number or a decimal string.")
    text = repr(value) if isinstance(value, float) else str(value).strip()
    try:
        amount = Decimal(text)
    except InvalidOperation as exc:
        raise InvalidAmount("Price must be a number or a decimal string.") from exc
    if not amount.is_finite():
        raise InvalidAmount("Price must be a finite number.")
    # Range first: quantizing an amount as large as -1e89 overflows the decimal context.
    if amount <= 0:
        raise InvalidAmount("Price must be greater than 0.")
    if amount > MAX_CENTS:
        raise InvalidAmount("Price must be at most 1000000.00.")
    if amount != amount.quantize(Decimal("0.01")):
        raise InvalidAmount("Price has at most two decimal places.")
    cents = int(amount * 100)
    if cents <= 0:
        raise InvalidAmount("Price must be greater than 0.")
    if cents > MAX_CENTS:
        raise InvalidAmount("Price must be at most 1000000.00.")
    return cents
