"""Applying an outcome Stripe reported (to our call, a worker's call or a webhook), once."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from api.payments import compensation, replica, repository
from api.payments.followups import FollowUp
from api.payments.models import Payment
from common.clock import Clock

EXTERNAL_REFUND_REASON = "The charge was refunded at Stripe."


@dataclass(frozen=True)
class Settlement:
    """The payment after an outcome was applied, whether it changed it, and what follows."""

    payment: Payment | None
    applied: bool = False
    follow_ups: list[FollowUp] = field(default_factory=list)


def settle_success(
    session: Session, payment_id: uuid.UUID, stripe_id: str, clock: Clock
) -> Settlement:
    """pending → succeeded, and a refund decided if its order was cancelled meanwhile."""
    # Idempotent: the conditional update applies to a pending payment only, so the second
    # report of one success (webhook after the answer, or the reverse) changes nothing.
    current = repository.load(session, payment_id)
    if current is None:
        return Settlement(None)
    order = replica.lock_order(session, current.order_id)
    payment = repository.succeed(session, payment_id, stripe_id, clock)
    if payment is None:
        # Another report of the outcome committed first: show the payment as it made it.
        return Settlement(repository.load(session, payment_id))
    follow_ups = compensation.refund_if_order_cancelled(session, payment, order, clock)
    if follow_ups:
        payment = repository.load(session, payment_id)
    return Settlement(payment, True, follow_ups)


def settle_failure(
    session: Session, payment_id: uuid.UUID, reason: str, stripe_id: str | None, clock: Clock
) -> Settlement:
    """pending → failed; idempotent: a payment that is not pending is left as it is."""
    payment = repository.fail(session, payment_id, reason, stripe_id, clock)
    if payment is None:
        return Settlement(repository.load(session, payment_id))
    return Settlement(payment, True)


def settle_refund(session: Session, payment_id: uuid.UUID, clock: Clock) -> Settlement:
    """succeeded → refunded as Stripe reports it; idempotent: only a succeeded one moves."""
    payment = repository.refund(session, payment_id, None, EXTERNAL_REFUND_REASON, clock)
    if payment is None:
        return Settlement(repository.load(session, payment_id))
    return Settlement(payment, True)
