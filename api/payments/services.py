"""Use cases of the payments API: pay for an order, and follow its payments."""

from __future__ import annotations

import uuid

from api.payments import replica, repository
from api.payments.arrival import OrderArrival
from api.payments.charging import Charges
from api.payments.domain import (
    LIVE_STATUSES,
    OrderFacts,
    PaymentSettled,
    PaymentStatus,
    ensure_payable,
    ensure_repeatable,
)
from api.payments.followups import Dispatcher, FollowUp, dispatch_all
from api.payments.gateway import GatewayUnavailable
from api.payments.models import Payment
from common.clock import Clock
from common.db import Database
from common.errors import FieldError, Forbidden, NotFound, PaymentRequired


class PaymentService:
    """Start and charge a buyer's payment; show a buyer their payments."""

    def __init__(
        self,
        db: Database,
        charges: Charges,
        clock: Clock,
        dispatcher: Dispatcher,
        arrival: OrderArrival,
    ) -> None:
        self.db, self.charges, self.clock = db, charges, clock
        self.dispatcher, self.arrival = dispatcher, arrival

    def pay(self, buyer_id: uuid.UUID, order_id: uuid.UUID, payment_method: str) -> Payment:
        """Charge the order once: a repeated or concurrent request gets the same payment back."""
        # The answer is a succeeded payment, or a pending one that a worker finishes (Stripe
        # could not be reached); a declined card raises PaymentRequired.
        with self.db.transaction() as session:
            order = replica.find_order(session, order_id)
            if order is None:
                # Not in the replica yet: 409 + Retry-After while it may still come, then 404.
                self.arrival.ensure_gone(order_id)
                raise NotFound("No order with this id.", [FieldError("Unknown order.", "orderId")])
            existing = _existing(order, buyer_id, repository.payments_of_order(session, order_id))
            if existing is not None:
                return _answer(existing)
            ensure_payable(order, buyer_id, self.clock.now())
            payment = repository.start(session, order, payment_method, self.clock)
        if payment is None:
            # A concurrent request for the order won the insert; its payment is the answer.
            with self.db.transaction() as session:
                existing = _existing(
                    order, buyer_id, repository.payments_of_order(session, order_id)
                )
            if existing is None:
                raise PaymentSettled()
            return _answer(existing)
        return _answer(self._charge(payment.id))

    def _charge(self, payment_id: uuid.UUID) -> Payment:
        try:
            charged = self.charges.charge(payment_id)
        except GatewayUnavailable:
            with self.db.transaction() as session:
                charged = repository.load(session, payment_id)
            if charged is not None and charged.status is PaymentStatus.PENDING:
                dispatch_all(self.dispatcher, [FollowUp.charge(payment_id)])
        if charged is None:
            raise LookupError(f"payment {payment_id} vanished")
        return charged

    def list_for_order(self, buyer_id: uuid.UUID, order_id: uuid.UUID) -> list[Payment]:
        """The buyer's payments of one order, newest first (empty for others' orders)."""
        with self.db.transaction() as session:
            return [
                p for p in repository.payments_of_order(session, order_id) if p.user_id == buyer_id
            ]

    def get_mine(self, buyer_id: uuid.UUID, payment_id: uuid.UUID) -> Payment:
        """One of the buyer's payments: 404 when unknown, 403 when someone else's."""
        with self.db.transaction() as session:
            payment = repository.load(session, payment_id)
        if payment is None:
            raise NotFound("No payment with this id.")
        if payment.user_id != buyer_id:
            raise Forbidden("This payment belongs to someone else.")
        return payment


def _existing(order: OrderFacts, buyer_id: uuid.UUID, payments: list[Payment]) -> Payment | None:
    """The order's live payment (a repeat gets it back); 403 for others, 409 once it is over."""
    if order.user_id != buyer_id:
        raise Forbidden("This order belongs to someone else.")
    for payment in payments:
        if payment.status in LIVE_STATUSES:
            ensure_repeatable(payment.status)
            return payment
    for payment in payments:
        ensure_repeatable(payment.status)
    return None


def _answer(payment: Payment) -> Payment:
    """A payment the buyer may be shown as the outcome, or the error that tells the outcome."""
    if payment.status is PaymentStatus.FAILED:
        raise PaymentRequired(payment.failure_reason or "The payment was declined.")
    if payment.refund_reason is not None:
        raise PaymentSettled(
            f"{payment.refund_reason} The charge is refunded; the order stays cancelled."
        )
    return payment
