"""After the run: wait until the platform is quiet, then check every saga across the services."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import nats
import requests
import sqlalchemy as sa

from bench.faults.stack import Stack

UNPAID = ("created", "awaiting_payment")


@dataclass(frozen=True)
class OrderRow:
    id: str
    ticket_id: str
    status: str
    reason: str | None
    expires_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class TicketRow:
    id: str
    order_id: str | None
    sold: bool
    version: int


@dataclass(frozen=True)
class PaymentRow:
    id: str
    order_id: str
    status: str
    stripe_id: str | None


@dataclass(frozen=True)
class EventRow:
    """An event some service wrote to its outbox: when, and the order it is about (if any)."""

    id: str
    type: str
    created_at: datetime
    order_id: str | None


@dataclass
class Snapshot:
    """Every service's view of the run's sagas, and the stand-in's (Stripe's) records."""

    orders: dict[str, OrderRow]
    orders_ticket_replica: dict[str, TicketRow]
    tickets: dict[str, TicketRow]
    payments: list[PaymentRow]
    payments_order_replica: dict[str, str]
    intents: list[dict[str, Any]]
    charges: list[dict[str, Any]]
    pending_outbox: dict[str, int]
    dead_letters: dict[str, int]
    events: dict[str, EventRow]  # every outbox row of the run, by event id
    processed: dict[str, dict[str, datetime]]  # consumer service -> event id -> handled at


def _rows(url: str, query: str) -> list[sa.Row[Any]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(sa.text(query)))
    finally:
        engine.dispose()


def _count(url: str, query: str) -> int:
    return int(_rows(url, query)[0][0])


def _tickets(url: str) -> dict[str, TicketRow]:
    rows = _rows(url, "SELECT id, order_id, sold, version FROM tickets")
    return {
        str(r.id): TicketRow(str(r.id), str(r.order_id) if r.order_id else None, r.sold, r.version)
        for r in rows
    }


def _standin(stack: Stack, kind: str) -> list[dict[str, Any]]:
    answer = requests.get(f"{stack.standin_url}/_standin/{kind}", timeout=30)
    answer.raise_for_status()
    return list(answer.json()["data"])


def snapshot(stack: Stack) -> Snapshot:
    orders_url, tickets_url = stack.database_url("orders"), stack.database_url("tickets")
    payments_url = stack.database_url("payments")
    services = {"orders": orders_url, "tickets": tickets_url, "payments": payments_url}
    orders = {
        str(r.id): OrderRow(
            str(r.id), str(r.ticket_id), r.status, r.reason, r.expires_at, r.updated_at
        )
        for r in _rows(
            orders_url, "SELECT id, ticket_id, status, reason, expires_at, updated_at FROM orders"
        )
    }
    return Snapshot(
        orders=orders,
        orders_ticket_replica=_tickets(orders_url),
        tickets=_tickets(tickets_url),
        payments=[
            PaymentRow(str(r.id), str(r.order_id), r.status, r.stripe_id)
            for r in _rows(payments_url, "SELECT id, order_id, status, stripe_id FROM payments")
        ],
        payments_order_replica={
            str(r.id): r.status for r in _rows(payments_url, "SELECT id, status FROM orders")
        },
        intents=_standin(stack, "payment_intents"),
        charges=_standin(stack, "charges"),
        pending_outbox={
            name: _count(url, "SELECT count(*) FROM outbox_events WHERE published_at IS NULL")
            for name, url in services.items()
        },
        dead_letters={
            name: _count(url, "SELECT count(*) FROM dead_letters WHERE replayed_at IS NULL")
            for name, url in services.items()
        },
        events={
            str(r.event_id): EventRow(str(r.event_id), r.event_type, r.created_at, r.order_id)
            for url in services.values()
            for r in _rows(
                url,
                "SELECT event_id, event_type, created_at, "
                "payload::json -> 'data' ->> 'orderId' AS order_id FROM outbox_events",
            )
        },
        processed={
            name: {
                str(r.event_id): r.processed_at
                for r in _rows(url, "SELECT event_id, processed_at FROM processed_events")
            }
            for name, url in services.items()
        },
    )


# --- quiescence ----------------------------------------------------------------------------


async def _consumers_busy(stack: Stack) -> int:
    """Messages the stream's durable consumers have not acknowledged or not yet received."""
    nc = await nats.connect(stack.infrastructure.nats_url)
    try:
        infos = await nc.jetstream().consumers_info(stack.names.stream)
    finally:
        await nc.close()
    return sum(int(i.num_pending or 0) + int(i.num_ack_pending or 0) for i in infos)


def busy_reasons(stack: Stack) -> dict[str, int]:
    """What is still in motion; empty when the platform is quiet."""
    orders_url = stack.database_url("orders")
    payments_url = stack.database_url("payments")
    counts = {
        "outbox rows": sum(
            _count(
                stack.database_url(s),
                "SELECT count(*) FROM outbox_events WHERE published_at IS NULL",
            )
            for s in ("orders", "tickets", "payments")
        ),
        "unpaid orders": _count(
            orders_url,
            "SELECT count(*) FROM orders WHERE status IN ('created', 'awaiting_payment')",
        ),
        "pending payments": _count(
            payments_url, "SELECT count(*) FROM payments WHERE status = 'pending'"
        ),
        "refunds owed": _count(
            payments_url,
            "SELECT count(*) FROM payments p JOIN orders o ON o.id = p.order_id "
            "WHERE p.status = 'succeeded' AND o.status = 'cancelled'",
        ),
        "event messages": asyncio.run(_consumers_busy(stack)),
    }
    webhooks = requests.post(
        f"{stack.standin_url}/_standin/webhooks/wait", json={"timeoutMs": 0}, timeout=30
    ).json()
    counts["webhook deliveries"] = int(webhooks.get("pending", 0))
    return {name: count for name, count in counts.items() if count}


def wait_quiet(
    stack: Stack, timeout: float, say: Callable[[str], None], stable_polls: int = 3
) -> tuple[float, dict[str, int]]:
    """Poll until nothing moves for `stable_polls` seconds in a row (or `timeout`)."""
    started = time.monotonic()
    quiet_for, last_report, busy = 0, 0.0, {}
    while time.monotonic() - started < timeout:
        try:
            busy = busy_reasons(stack)
        except Exception as exc:  # a service restarting: look again
            busy = {f"probe failed ({type(exc).__name__})": 1}
        quiet_for = 0 if busy else quiet_for + 1
        if quiet_for >= stable_polls:
            return time.monotonic() - started, {}
        if busy and time.monotonic() - last_report > 10:
            say(f"    settling: {busy}")
            last_report = time.monotonic()
        time.sleep(1)
    return time.monotonic() - started, busy


# --- findings -------------------------------------------------------------------------------


@dataclass
class Findings:
    """The four headline counts, with the reason behind every lost saga."""

    lost: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    double_charges: set[str] = field(default_factory=set)
    stuck_locks: set[str] = field(default_factory=set)
    overdue: set[str] = field(default_factory=set)
    final_states: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    refunded_orders: int = 0
    orphan_intents: int = 0


def _charged(snap: Snapshot) -> dict[str, list[tuple[dict[str, Any], bool]]]:
    """Per order id: its succeeded PaymentIntents at Stripe, each with whether it is refunded."""
    charges = {c["payment_intent"]: c for c in snap.charges if c.get("status") == "succeeded"}
    found: dict[str, list[tuple[dict[str, Any], bool]]] = defaultdict(list)
    for intent in snap.intents:
        if intent.get("status") != "succeeded":
            continue
        charge = charges.get(intent["id"])
        refunded = bool(charge and charge.get("amount_refunded", 0) >= charge.get("amount", 0))
        found[str((intent.get("metadata") or {}).get("orderId"))].append((intent, refunded))
    return found


def event_lags(snap: Snapshot) -> dict[tuple[str, str], list[float]]:
    """Seconds from an event's outbox commit to its handling, per (consumer, event type)."""
    lags: dict[tuple[str, str], list[float]] = defaultdict(list)
    for consumer, handled in snap.processed.items():
        for event_id, at in handled.items():
            event = snap.events.get(event_id)
            if event is not None:
                lags[(consumer, event.type)].append((at - event.created_at).total_seconds())
    return lags


def paid_in_time_but_expired(snap: Snapshot) -> list[str]:
    """Orders cancelled as expired although their charge had succeeded before expiresAt."""
    succeeded_at = {
        e.order_id: e.created_at
        for e in snap.events.values()
        if e.type == "payments.created" and e.order_id
    }
    return [
        order.id
        for order in snap.orders.values()
        if order.status == "cancelled"
        and order.reason == "expired"
        and order.id in succeeded_at
        and succeeded_at[order.id] < order.expires_at
    ]


def check(snap: Snapshot, grace: timedelta, now: datetime | None = None) -> Findings:
    """Every saga's final state, compared across orders, tickets, payments and Stripe."""
    now = now or datetime.now(UTC)
    found = Findings()
    charged = _charged(snap)
    found.orphan_intents = sum(len(v) for k, v in charged.items() if k not in snap.orders)
    payments: dict[str, list[PaymentRow]] = defaultdict(list)
    for payment in snap.payments:
        payments[payment.order_id].append(payment)
    intent_status = {i["id"]: i.get("status") for i in snap.intents}
    refunded_intents = {i["id"] for v in charged.values() for i, refunded in v if refunded}

    for order in snap.orders.values():
        lost = found.lost[order.id]
        found.final_states[order.status] += 1
        ticket = snap.tickets.get(order.ticket_id)
        kept = [i for i, refunded in charged.get(order.id, []) if not refunded]
        if len(charged.get(order.id, [])) > 1:
            found.double_charges.add(order.id)
        if order.status in UNPAID and order.expires_at + grace < now:
            found.overdue.add(order.id)
        if any(i for i, refunded in charged.get(order.id, []) if refunded):
            found.refunded_orders += 1
        if order.status == "complete":
            if ticket is None or ticket.order_id != order.id or not ticket.sold:
                lost.append("complete, but the ticket is not sold to it")
            if not any(p.status == "succeeded" for p in payments[order.id]):
                lost.append("complete without a succeeded payment")
            if len(kept) != 1:
                lost.append(f"complete with {len(kept)} kept charges at Stripe")
        elif order.status == "cancelled":
            if ticket is not None and ticket.order_id == order.id:
                lost.append(
                    "cancelled, but the ticket is still "
                    + ("sold" if ticket.sold else "locked")
                    + " by it"
                )
            if any(p.status == "succeeded" for p in payments[order.id]):
                lost.append("cancelled, but its payment is kept (not refunded)")
            if kept:
                found.double_charges.add(order.id)
                lost.append("cancelled, but charged at Stripe without refund")
        replica = snap.payments_order_replica.get(order.id)
        if replica != order.status:
            lost.append(f"payments' replica says {replica}, orders says {order.status}")
        mirrored = snap.orders_ticket_replica.get(order.ticket_id)
        if ticket is not None and mirrored != ticket:
            lost.append(f"orders' ticket replica {mirrored} differs from tickets' {ticket}")
        for payment in payments[order.id]:
            at_stripe = intent_status.get(payment.stripe_id or "")
            if payment.status == "succeeded" and (
                at_stripe != "succeeded" or payment.stripe_id in refunded_intents
            ):
                lost.append(f"payment succeeded, Stripe says {at_stripe}")
            elif payment.status == "refunded" and payment.stripe_id not in refunded_intents:
                lost.append("payment refunded, but not at Stripe")
            elif payment.status == "failed" and at_stripe == "succeeded":
                lost.append("payment failed, but Stripe charged it")
            elif payment.status == "pending":
                lost.append("payment still pending")
        if not lost:
            del found.lost[order.id]

    for ticket in snap.tickets.values():
        if ticket.order_id is None:
            continue
        holder = snap.orders.get(ticket.order_id)
        if not ticket.sold and (holder is None or holder.status == "cancelled"):
            found.stuck_locks.add(ticket.id)
        if ticket.sold and (holder is None or holder.status != "complete"):
            found.lost[ticket.order_id].append("ticket sold to an order that is not complete")
    return found
