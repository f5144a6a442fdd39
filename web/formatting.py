"""How API values read on a page: prices, times, time left and statuses in plain words."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Flask

CURRENCY_SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£"}
TICKET_STATUS = {
    "available": "Available",
    "locked": "Reserved",
    "reserved": "Reserved",
    "sold": "Sold",
}
ORDER_STATUS = {
    "created": "Reserved for you: waiting for payment",
    "awaiting_payment": "Payment in progress",
    "complete": "Paid",
    "cancelled": "Cancelled",
}


def parse_time(value: Any) -> datetime | None:
    """An API timestamp (ISO 8601, `Z`) as an aware datetime; None if absent or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def seconds_left(expires_at: Any, now: datetime | None = None) -> int:
    """Whole seconds until `expires_at` (0 once past, or when unknown)."""
    expires = parse_time(expires_at)
    if expires is None:
        return 0
    remaining = (expires - (now or datetime.now(UTC))).total_seconds()
    return max(0, int(remaining))


def mmss(seconds: int) -> str:
    """Seconds as `mm:ss` (minutes keep counting past 59)."""
    minutes, rest = divmod(max(0, seconds), 60)
    return f"{minutes:02d}:{rest:02d}"


def price(amount: Any, currency: Any = "usd") -> str:
    """`"20.00", "usd"` as `$20.00`; unknown currencies as `20.00 CHF`."""
    code = str(currency or "usd").lower()
    symbol = CURRENCY_SYMBOLS.get(code)
    return f"{symbol}{amount}" if symbol else f"{amount} {code.upper()}"


def when(value: Any) -> str:
    """A timestamp as `24 Nov 2026, 20:15 UTC`."""
    parsed = parse_time(value)
    if parsed is None:
        return str(value or "")
    return parsed.astimezone(UTC).strftime("%d %b %Y, %H:%M UTC").lstrip("0")


def ticket_status(status: Any) -> str:
    return TICKET_STATUS.get(str(status), str(status).replace("_", " ").capitalize())


def order_status(status: Any) -> str:
    return ORDER_STATUS.get(str(status), str(status).replace("_", " ").capitalize())


def words(value: Any) -> str:
    """`charge_payment` → `Charge payment`, for saga steps and outcomes."""
    text = str(value or "").replace("_", " ").replace(".", " ").strip()
    return text[:1].upper() + text[1:]


def install_filters(app: Flask) -> None:
    """Make the formatters available to templates as filters."""
    app.jinja_env.filters.update(
        price=price,
        when=when,
        ticket_status=ticket_status,
        order_status=order_status,
        words=words,
        mmss=mmss,
    )
