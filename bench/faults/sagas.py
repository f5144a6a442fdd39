"""The sagas of a fault run: list a ticket, order it, then pay, decline, cancel or let it expire."""

from __future__ import annotations

import enum
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bench.faults.client import Answer, Api, User

VISA = "pm_card_visa"
DECLINED = "pm_card_chargeDeclined"
REPLICA_WAIT_SECONDS = 60.0  # retries of 404 while a replica lags (a killed consumer: 30 s)


class Plan(enum.StrEnum):
    """What the buyer does after ordering."""

    PAY = "pay"
    PAY_TWICE = "pay_twice"  # two concurrent pay requests (a double click)
    DECLINE = "decline"
    CANCEL = "cancel"
    EXPIRE = "expire"
    PAY_AFTER_CANCEL = "pay_after_cancel"
    PAY_AFTER_EXPIRY = "pay_after_expiry"
    PAY_AT_EXPIRY = "pay_at_expiry"  # races the expiry: sent a moment before expiresAt
    REBUY = "rebuy"  # cancel, then another buyer orders the same ticket and pays


WEIGHTS: dict[Plan, int] = {
    Plan.PAY: 26,
    Plan.PAY_TWICE: 6,
    Plan.DECLINE: 12,
    Plan.CANCEL: 12,
    Plan.EXPIRE: 14,
    Plan.PAY_AFTER_CANCEL: 8,
    Plan.PAY_AFTER_EXPIRY: 6,
    Plan.PAY_AT_EXPIRY: 6,
    Plan.REBUY: 10,
}


@dataclass
class SagaRecord:
    """What one planned saga did and what the API answered at each step."""

    plan: Plan
    ticket_id: str | None = None
    order_ids: list[str] = field(default_factory=list)
    answers: list[tuple[str, str, int]] = field(default_factory=list)  # (step, order id, status)
    error: str | None = None
    order_seconds: list[float] = field(default_factory=list)
    pay_seconds: list[float] = field(default_factory=list)

    def note(self, step: str, order_id: str, answer: Answer) -> None:
        self.answers.append((step, order_id, answer.status))


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def sleep_until(moment: datetime) -> None:
    delay = (moment - datetime.now(UTC)).total_seconds()
    if delay > 0:
        time.sleep(delay)


class Driver:
    """Runs planned sagas against the API with a pool of concurrent clients."""

    def __init__(self, api: Api, users: list[User], seed: int) -> None:
        self.api = api
        self.users = users
        self.random = random.Random(seed)
        self.random_lock = threading.Lock()
        self.started = 0
        self.finished = 0
        self.progress_lock = threading.Lock()

    def pick_users(self) -> tuple[User, User, User]:
        with self.random_lock:
            seller, buyer, other = self.random.sample(self.users, 3)
        return seller, buyer, other

    def plans(self, count: int) -> list[Plan]:
        kinds, weights = list(WEIGHTS), list(WEIGHTS.values())
        with self.random_lock:
            return self.random.choices(kinds, weights, k=count)

    def run_all(self, plans: list[Plan], clients: int) -> list[SagaRecord]:
        with ThreadPoolExecutor(max_workers=clients, thread_name_prefix="client") as pool:
            return list(pool.map(self.run_one, plans))

    def run_one(self, plan: Plan) -> SagaRecord:
        record = SagaRecord(plan)
        with self.progress_lock:
            self.started += 1
        try:
            self._run(record)
        except Exception as exc:  # one saga's surprise must not stop the run; it is reported
            record.error = f"{type(exc).__name__}: {exc}"
        with self.progress_lock:
            self.finished += 1
        return record

    def _run(self, record: SagaRecord) -> None:
        seller, buyer, other = self.pick_users()
        listed = self.api.call(
            "POST", "/api/tickets", {"title": f"Fault gig {record.plan}", "price": "25.00"},
            seller.token,
        )  # fmt: skip
        if listed.status != 201:
            raise RuntimeError(f"listing answered {listed.status}: {listed.body}")
        ticket_id = record.ticket_id = str(listed.body["id"])
        order = self.order(record, buyer, ticket_id)
        if order is None:
            return
        order_id = str(order["id"])
        expires_at = parse_time(str(order["expiresAt"]))
        plan = record.plan
        if plan is Plan.PAY:
            self.pay(record, buyer, order_id, VISA)
        elif plan is Plan.PAY_TWICE:
            with ThreadPoolExecutor(max_workers=2) as pair:
                for future in [pair.submit(self.pay, record, buyer, order_id, VISA) for _ in "ab"]:
                    future.result()
        elif plan is Plan.DECLINE:
            self.pay(record, buyer, order_id, DECLINED)
        elif plan is Plan.CANCEL:
            self.cancel(record, buyer, order_id)
        elif plan is Plan.PAY_AFTER_CANCEL:
            self.cancel(record, buyer, order_id)
            self.pay(record, buyer, order_id, VISA)
        elif plan is Plan.PAY_AFTER_EXPIRY:
            sleep_until(expires_at)
            time.sleep(0.5)
            self.pay(record, buyer, order_id, VISA)
        elif plan is Plan.PAY_AT_EXPIRY:
            with self.random_lock:
                early = self.random.uniform(0.0, 0.6)
            sleep_until(expires_at - timedelta(seconds=early))
            self.pay(record, buyer, order_id, VISA)
        elif plan is Plan.REBUY:
            self.cancel(record, buyer, order_id)
            second = self.order(record, other, ticket_id)
            if second is not None:
                self.pay(record, other, str(second["id"]), VISA)

    def order(self, record: SagaRecord, buyer: User, ticket_id: str) -> dict[str, object] | None:
        """POST /api/orders, retried while the orders replica does not know the ticket yet."""
        started = time.monotonic()
        deadline = started + REPLICA_WAIT_SECONDS
        answer = self.api.call("POST", "/api/orders", {"ticketId": ticket_id}, buyer.token)
        retried = answer.transient_retries > 0
        while answer.status in (404, 409) and time.monotonic() < deadline:
            if answer.status == 409:
                if not retried:
                    break
                # A retried request may have created the order the first time: find it.
                mine = self.find_order(buyer, ticket_id)
                if mine is not None:
                    answer = Answer(201, mine, 1)
                    break
            time.sleep(0.2)
            answer = self.api.call("POST", "/api/orders", {"ticketId": ticket_id}, buyer.token)
            retried = retried or answer.transient_retries > 0
        record.order_seconds.append(time.monotonic() - started)
        if answer.status != 201:
            record.note("order", "", answer)
            record.error = f"order answered {answer.status}: {answer.body.get('detail')}"
            return None
        order_id = str(answer.body["id"])
        record.order_ids.append(order_id)
        record.note("order", order_id, answer)
        return answer.body

    def find_order(self, buyer: User, ticket_id: str) -> dict[str, object] | None:
        found = self.api.call("GET", "/api/orders?limit=50", None, buyer.token)
        for item in found.body.get("items", []):
            if item.get("ticketId") == ticket_id and item.get("status") != "cancelled":
                return dict(item)
        return None

    def pay(self, record: SagaRecord, buyer: User, order_id: str, method: str) -> None:
        started = time.monotonic()
        answer = self.api.call(
            "POST", "/api/payments", {"orderId": order_id, "paymentMethod": method}, buyer.token
        )
        deadline = started + REPLICA_WAIT_SECONDS
        while answer.status == 404 and time.monotonic() < deadline:
            time.sleep(0.2)  # the payments replica of orders lags behind
            answer = self.api.call(
                "POST", "/api/payments", {"orderId": order_id, "paymentMethod": method}, buyer.token
            )
        record.pay_seconds.append(time.monotonic() - started)
        record.note(f"pay:{method}", order_id, answer)

    def cancel(self, record: SagaRecord, buyer: User, order_id: str) -> None:
        answer = self.api.call("POST", f"/api/orders/{order_id}/cancel", None, buyer.token)
        record.note("cancel", order_id, answer)
