"""Charging a pending payment through Stripe: the synchronous attempt and the worker's retries."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from sqlalchemy.orm import Session

from api.payments import repository
from api.payments.followups import Dispatcher, dispatch_all
from api.payments.gateway import ChargeDeclined, ChargeRequest, Gateway
from api.payments.models import Payment
from api.payments.settlement import Settlement, settle_failure, settle_success
from common.clock import Clock
from common.db import Database


class Charges:
    """Charge pending payments once, whoever asks and however often."""

    def __init__(
        self, db: Database, gateway: Gateway, clock: Clock, dispatcher: Dispatcher
    ) -> None:
        self.db, self.gateway, self.clock, self.dispatcher = db, gateway, clock, dispatcher

    def charge(self, payment_id: uuid.UUID) -> Payment | None:
        """Charge the payment if it is still pending and apply Stripe's answer, once."""
        # Safe to repeat and to resume after a crash: a payment that is not pending is left
        # alone, and every attempt uses the order's idempotency key, so Stripe charges once
        # and replays its first answer to any retry. GatewayUnavailable (Stripe could not
        # answer) propagates and leaves the payment pending for a retry.
        with self.db.transaction() as session:
            payment = repository.begin_attempt(session, payment_id, self.clock)
            if payment is None:
                return repository.load(session, payment_id)
        request = ChargeRequest(
            payment_id=payment.id,
            order_id=payment.order_id,
            amount_cents=payment.amount_cents,
            currency=payment.currency,
            payment_method=payment.payment_method,
        )
        try:
            charge = self.gateway.charge(request)
        except ChargeDeclined as declined:
            reason, stripe_id = declined.message, declined.stripe_id
            return self._settle(
                lambda session: settle_failure(session, payment_id, reason, stripe_id, self.clock)
            )
        if not charge.settled:
            # Stripe is still processing it: its webhook will settle the payment.
            with self.db.transaction() as session:
                repository.note_stripe_id(session, payment_id, charge.stripe_id)
                return repository.load(session, payment_id)
        return self._settle(
            lambda session: settle_success(session, payment_id, charge.stripe_id, self.clock)
        )

    def _settle(self, step: Callable[[Session], Settlement]) -> Payment | None:
        with self.db.transaction() as session:
            settlement = step(session)
        dispatch_all(self.dispatcher, settlement.follow_ups)
        return settlement.payment
