"""The purchase saga in one place: its steps, what triggers each, the move it makes, what undoes it.

    reserve ──▶ await_payment ──▶ charge ──▶ complete
                 │       │          │
               expire  cancel     charge failed (declined)
                 └───────┴──────────┴──▶ cancelled: unlock (and refund a late charge)

Each step names the event (or use case, or actor) that triggers it, the order transition it
applies (checked by the state machine), the compensation that undoes it once the order is
cancelled, and the plain words its timeline entry shows. A step whose order has already
moved on changes nothing; the `late` words say which of those no-ops a reader should see.
The orders consumer's handlers are derived from EVENT_STEPS (workers/orders/handlers.py).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from api.orders.domain import CANCELLED_BY_BUYER, EXPIRED, PAYMENT_DECLINED, PRICE_CHANGED
from api.orders.state import OrderStatus
from common.events.catalogue import (
    EVENT_TYPES,
    EXPIRATION_COMPLETED,
    ORDER_CANCELLED,
    ORDER_CREATED,
    PAYMENT_CREATED,
    PAYMENT_FAILED,
    PAYMENT_REFUNDED,
    PAYMENT_STARTED,
    TICKET_UPDATED,
)
from common.money import format_cents


class StepOutcome(enum.StrEnum):
    """How a step ended, as the timeline shows it."""

    OK = "ok"
    FAILED = "failed"
    SKIPPED = "skipped"
    COMPENSATED = "compensated"


@dataclass(frozen=True)
class Compensation:
    """What undoes a step once the order is cancelled, who carries it out, and on what."""

    name: str
    undoes: str
    carried_out_by: str
    text: str


@dataclass(frozen=True)
class Step:
    """One step of the saga; `text` is formatted with the facts of its trigger."""

    name: str
    trigger: str
    target: OrderStatus | None
    text: str
    outcome: StepOutcome = StepOutcome.OK
    reason: str | None = None
    compensation: Compensation | None = None
    late: Mapping[OrderStatus, str] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def cancels(self) -> bool:
        return self.target is OrderStatus.CANCELLED


UNLOCK = Compensation(
    name="unlock",
    undoes="reserve",
    carried_out_by=f"tickets, on {ORDER_CANCELLED}",
    text="The ticket is released for other buyers.",
)
REFUND = Compensation(
    name="refund",
    undoes="charge",
    carried_out_by=f"payments, when a charge succeeds for a cancelled order ({PAYMENT_REFUNDED})",
    text="A charge for a cancelled order is refunded.",
)

RESERVE = Step(
    name="reserve",
    trigger="POST /api/orders",
    target=OrderStatus.CREATED,
    text="The ticket is reserved for you.",
    compensation=UNLOCK,
)
AWAIT_PAYMENT = Step(
    name="await_payment",
    trigger=f"{ORDER_CREATED} → expiration: expire_order, a delayed Dramatiq message",
    target=None,
    text="Pay by {expiresAt} or the order expires.",
)
CHARGE = Step(
    name="charge",
    trigger=PAYMENT_STARTED,
    target=OrderStatus.AWAITING_PAYMENT,
    text="Payment submitted; waiting for the card to be charged.",
    compensation=REFUND,
)
COMPLETE = Step(
    name="complete",
    trigger=PAYMENT_CREATED,
    target=OrderStatus.COMPLETE,
    text="Paid {amount}; the ticket is yours.",
    late=MappingProxyType(
        {
            OrderStatus.CANCELLED: (
                "Payment of {amount} arrived after the order was cancelled; it will be refunded."
            )
        }
    ),
)
DECLINE = Step(
    name="charge",
    trigger=PAYMENT_FAILED,
    target=OrderStatus.CANCELLED,
    text="{reason}",
    outcome=StepOutcome.FAILED,
    reason=PAYMENT_DECLINED,
)
EXPIRE = Step(
    name="expire",
    trigger=EXPIRATION_COMPLETED,
    target=OrderStatus.CANCELLED,
    text="Not paid in time: the order expired.",
    reason=EXPIRED,
)
SWEEP_EXPIRE = Step(
    name="expire",
    trigger="workers.orders.sweep (the database is the source of truth)",
    target=OrderStatus.CANCELLED,
    text="Not paid in time: the order expired (sweep).",
    reason=EXPIRED,
)
CANCEL = Step(
    name="cancel",
    trigger="POST /api/orders/{id}/cancel",
    target=OrderStatus.CANCELLED,
    text="Cancelled by the buyer.",
    reason=CANCELLED_BY_BUYER,
)
REPRICED = Step(
    name="reserve",
    trigger=f"{TICKET_UPDATED} with a new price before the ticket was locked for the order",
    target=OrderStatus.CANCELLED,
    text="The seller changed the price to {price} before the ticket was reserved for you; "
    "the order is cancelled and nothing is charged at the old price.",
    outcome=StepOutcome.FAILED,
    reason=PRICE_CHANGED,
)
REFUNDED = Step(
    name=REFUND.name,
    trigger=PAYMENT_REFUNDED,
    target=None,
    text="Refunded {amount}: {reason}",
    outcome=StepOutcome.COMPENSATED,
)

# The happy path, in order; each exit ends it early by cancelling the order.
PIPELINE: tuple[Step, ...] = (RESERVE, AWAIT_PAYMENT, CHARGE, COMPLETE)
EXITS: tuple[Step, ...] = (EXPIRE, SWEEP_EXPIRE, CANCEL, DECLINE, REPRICED)
REPORTS: tuple[Step, ...] = (REFUNDED,)
COMPENSATIONS: tuple[Compensation, ...] = (UNLOCK, REFUND)
# What undoes a cancelled order's reservation, recorded with every cancellation.
ON_CANCEL: tuple[Compensation, ...] = (UNLOCK,)

# The steps other services' events trigger: the orders consumer's handler table.
EVENT_STEPS: Mapping[str, Step] = MappingProxyType(
    {step.trigger: step for step in (*PIPELINE, *EXITS, *REPORTS) if step.trigger in EVENT_TYPES}
)


def facts_of(data: Mapping[str, Any]) -> dict[str, Any]:
    """The words a step's text may use, from an event's data (amounts formatted)."""
    facts = dict(data)
    if "amountCents" in data and "currency" in data:
        facts["amount"] = (
            f"{format_cents(int(data['amountCents']))} {str(data['currency']).upper()}"
        )
    return facts


def moment(at: datetime) -> str:
    """A time as the timeline's words show it, e.g. 2026-11-24 20:15:00 UTC."""
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def render(text: str, facts: Mapping[str, Any]) -> str:
    """The plain words of a timeline entry."""
    return text.format_map(facts)
