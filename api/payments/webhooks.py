"""Stripe's signed webhooks: verified, applied once per Stripe event id, with the change."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import stripe
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from api.payments import repository
from api.payments.followups import Dispatcher, dispatch_all
from api.payments.models import Payment, StripeEvent
from api.payments.settlement import Settlement, settle_failure, settle_refund, settle_success
from common.clock import Clock
from common.db import Database
from common.errors import BadRequest, FieldError, ValidationFailed

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "Stripe-Signature"
# Stripe's own tolerance for old signatures; a timestamp this far ahead of our clock is
# refused too (a replay window must not be opened by signing "in the future").
TOLERANCE_SECONDS = stripe.Webhook.DEFAULT_TOLERANCE
SUCCEEDED = "payment_intent.succeeded"
FAILED = "payment_intent.payment_failed"
REFUNDED = "charge.refunded"

Effect = Callable[[Session, Mapping[str, Any], Clock], Settlement]


@dataclass(frozen=True)
class StripeNotice:
    """A verified Stripe event: its id, type and the object it is about."""

    id: str
    type: str
    object: Mapping[str, Any]


def _signed_at(signature: str) -> int | None:
    """The `t=` timestamp of a Stripe-Signature header."""
    for part in signature.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            return int(value)
    return None


def _invalid_signature(detail: str) -> BadRequest:
    return BadRequest(detail, [FieldError("Invalid signature.", SIGNATURE_HEADER)])


def verify(payload: bytes, signature: str | None, secret: str, now: float) -> StripeNotice:
    """Check the Stripe-Signature of the raw body; 400 when it is missing, wrong, old or ahead."""
    if not signature:
        raise BadRequest(
            "The Stripe-Signature header is missing.",
            [FieldError("Missing header.", SIGNATURE_HEADER)],
        )
    try:
        stripe.Webhook.construct_event(payload, signature, secret, tolerance=TOLERANCE_SECONDS)
    except stripe.SignatureVerificationError as exc:
        raise _invalid_signature(
            "The Stripe signature does not match the body (or is too old)."
        ) from exc
    except (ValueError, TypeError, AttributeError, RecursionError) as exc:
        raise BadRequest("The body is not a Stripe event.") from exc
    signed_at = _signed_at(signature)
    if signed_at is None or signed_at > now + TOLERANCE_SECONDS:
        log.warning("stripe webhook signed in the future refused", extra={"signedAt": signed_at})
        raise _invalid_signature("The Stripe signature is dated in the future.")
    body = json.loads(payload)
    if not isinstance(body, dict):
        raise BadRequest("The body is not a Stripe event.")
    event_id, event_type, data = body.get("id"), body.get("type"), body.get("data")
    if not isinstance(event_id, str) or not isinstance(event_type, str):
        raise BadRequest("The body is not a Stripe event.")
    found = data.get("object") if isinstance(data, dict) else None
    return StripeNotice(event_id, event_type, found if isinstance(found, dict) else {})


def _payment_id(session: Session, intent_id: object, metadata: object) -> uuid.UUID | None:
    """Our payment behind a Stripe object: by the paymentId we put in metadata, or by intent."""
    raw = metadata.get("paymentId") if isinstance(metadata, dict) else None
    if isinstance(raw, str):
        try:
            return uuid.UUID(raw)
        except ValueError:
            pass
    if not isinstance(intent_id, str):
        return None
    return session.scalar(select(Payment.id).where(Payment.stripe_id == intent_id))


def _mismatches(payment: Payment, intent: Mapping[str, Any]) -> list[FieldError]:
    """Where a reported success disagrees with the payment we asked Stripe for."""
    found = []
    if payment.stripe_id is not None and intent.get("id") != payment.stripe_id:
        found.append(FieldError("Not this payment's PaymentIntent.", "data.object.id"))
    received = intent.get("amount_received", intent.get("amount"))
    if type(received) is not int or received != payment.amount_cents:
        found.append(FieldError("Not the payment's amount.", "data.object.amount_received"))
    currency = intent.get("currency")
    if not isinstance(currency, str) or currency.lower() != payment.currency:
        found.append(FieldError("Not the payment's currency.", "data.object.currency"))
    return found


def _succeeded(session: Session, intent: Mapping[str, Any], clock: Clock) -> Settlement:
    payment_id = _payment_id(session, intent.get("id"), intent.get("metadata"))
    payment = repository.load(session, payment_id) if payment_id is not None else None
    if payment_id is None or payment is None:
        return Settlement(None)
    mismatches = _mismatches(payment, intent)
    if mismatches:
        log.error(
            "stripe success does not match the payment; refused",
            extra={
                "paymentId": str(payment_id),
                "intentId": str(intent.get("id")),
                "mismatches": [error.field for error in mismatches],
            },
        )
        raise ValidationFailed("The reported success does not match the payment.", mismatches)
    return settle_success(session, payment_id, str(intent["id"]), clock)


def _failed(session: Session, intent: Mapping[str, Any], clock: Clock) -> Settlement:
    payment_id = _payment_id(session, intent.get("id"), intent.get("metadata"))
    if payment_id is None:
        return Settlement(None)
    error = intent.get("last_payment_error")
    message = error.get("message") if isinstance(error, dict) else None
    reason = str(message) if message else "The payment failed."
    return settle_failure(session, payment_id, reason, str(intent["id"]), clock)


def _refunded(session: Session, charge: Mapping[str, Any], clock: Clock) -> Settlement:
    if charge.get("refunded") is not True:
        return Settlement(None)  # a partial refund: the platform never makes those
    payment_id = _payment_id(session, charge.get("payment_intent"), None)
    if payment_id is None:
        return Settlement(None)
    return settle_refund(session, payment_id, clock)


EFFECTS: Mapping[str, Effect] = {SUCCEEDED: _succeeded, FAILED: _failed, REFUNDED: _refunded}


class WebhookReceiver:
    """Apply Stripe's reports of charges and refunds to the payments they are about."""

    def __init__(self, db: Database, secret: str, clock: Clock, dispatcher: Dispatcher) -> None:
        self.db, self.secret, self.clock, self.dispatcher = db, secret, clock, dispatcher

    def receive(self, payload: bytes, signature: str | None) -> bool:
        """Verify and apply one event; False when it was a duplicate or changed nothing."""
        # Idempotent: the event id is claimed in stripe_events in the transaction that applies
        # its effect, and each effect is a conditional update that only the first report of
        # an outcome (webhook or API answer) can make.
        # Wall-clock time, as stripe-python's own check of old signatures uses.
        notice = verify(payload, signature, self.secret, time.time())
        effect = EFFECTS.get(notice.type)
        with self.db.transaction() as session:
            if not self._claim(session, notice):
                return False
            settlement = effect(session, notice.object, self.clock) if effect else Settlement(None)
        dispatch_all(self.dispatcher, settlement.follow_ups)
        if effect is not None and settlement.payment is None:
            log.info("stripe event %s names no payment of ours", notice.id)
        return settlement.applied

    def _claim(self, session: Session, notice: StripeNotice) -> bool:
        claimed = session.execute(
            insert(StripeEvent)
            .values(id=notice.id[:255], type=notice.type[:100], received_at=self.clock.now())
            .on_conflict_do_nothing(index_elements=[StripeEvent.id])
            .returning(StripeEvent.id)
        ).first()
        return claimed is not None
