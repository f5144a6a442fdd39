"""What the benchmarks' buyers do: reserve tickets, or buy them (reserve, then pay).

Used by bench/order_creation.py (the product; `--pay` buys) and bench/http_floor.py (the
floor): the same client code on both, so their figures compare. A purchase's latency is both
requests (POST /api/orders, then POST /api/payments with the stand-in's test card).
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence

from bench.load import BuyerRun, Figures, HttpConnection, drive_buyers

# Issue #5's absolute goal for order creation, printed beside the ratios of issue #14.
GOAL_RATE, GOAL_P99_MS = 500.0, 100.0
PAYMENT_METHOD = "pm_card_visa"
# POST /api/payments answers 409 + Retry-After: 1 while the order has not reached the
# payments service yet (api/payments/arrival.py). Retry-After is whole seconds; a buyer's
# page may come back sooner, and this one does, at most PAY_ATTEMPTS times.
NOT_ARRIVED = b"has not reached payments yet"
PAY_RETRY_SECONDS = 0.25
PAY_ATTEMPTS = 40

# One ticket's work on the buyer's connection: None when it succeeded, else what went wrong.
Step = Callable[[HttpConnection, str, uuid.UUID], Awaitable[str | None]]


async def _reserve(connection: HttpConnection, token: str, ticket_id: uuid.UUID) -> str | None:
    body = b'{"ticketId": "%s"}' % str(ticket_id).encode()
    status, payload = await connection.request("POST", "/api/orders", body, token)
    return None if status == 201 else f"{status} {payload[:200]!r}"


async def _purchase(connection: HttpConnection, token: str, ticket_id: uuid.UUID) -> str | None:
    body = b'{"ticketId": "%s"}' % str(ticket_id).encode()
    status, payload = await connection.request("POST", "/api/orders", body, token)
    if status != 201:
        return f"order {status} {payload[:200]!r}"
    order_id = json.loads(payload)["id"]
    pay = json.dumps({"orderId": order_id, "paymentMethod": PAYMENT_METHOD}).encode()
    for _ in range(PAY_ATTEMPTS):
        status, payload = await connection.request("POST", "/api/payments", pay, token)
        if status != 409 or NOT_ARRIVED not in payload:
            break
        await asyncio.sleep(PAY_RETRY_SECONDS)
    if status not in (201, 202):
        return f"payment {status} {payload[:200]!r}"
    return None


def _buyer(step: Step) -> BuyerRun:
    """A buyer that does `step` for each of its tickets, one after the other, timing each."""

    async def buyer(
        connection: HttpConnection, token: str, tickets: Sequence[uuid.UUID], start: asyncio.Event
    ) -> tuple[list[float], list[str]]:
        latencies: list[float] = []
        errors: list[str] = []
        await connection.connect()
        await start.wait()
        for ticket_id in tickets:
            started = time.perf_counter()
            error = await step(connection, token, ticket_id)
            if error is None:
                latencies.append((time.perf_counter() - started) * 1000)
            else:
                errors.append(error)
        connection.close()
        return latencies, errors

    return buyer


def drive_orders(
    base: str, buyers: Sequence[tuple[int, str]], tickets: Sequence[uuid.UUID], label: str
) -> Figures:
    """Order every ticket once; buyer i (source index, token) takes tickets[i::len(buyers)]."""
    return drive_buyers(base, buyers, tickets, label, _buyer(_reserve))


def drive_purchases(
    base: str, buyers: Sequence[tuple[int, str]], tickets: Sequence[uuid.UUID], label: str
) -> Figures:
    """Buy every ticket once; buyer i (source index, token) takes tickets[i::len(buyers)]."""
    return drive_buyers(base, buyers, tickets, label, _buyer(_purchase))
