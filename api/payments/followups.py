"""Asynchronous steps a use case decides on, sent only once its transaction has committed."""

from __future__ import annotations

import enum
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

import dramatiq
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

# The Dramatiq queue and actors (workers.payments.actors) that run the follow-ups: messages
# are sent by name, so the service needs none of the workers' code.
QUEUE = "payments"
ACTORS = {"charge": "charge_payment", "refund": "refund_payment"}


class Step(enum.Enum):
    """Which asynchronous step of the saga to run."""

    CHARGE = "charge"
    REFUND = "refund"


@dataclass(frozen=True)
class FollowUp:
    """One step for a worker: charge a pending payment, or refund a succeeded one."""

    step: Step
    payment_id: uuid.UUID
    reason: str | None = None

    @classmethod
    def charge(cls, payment_id: uuid.UUID) -> FollowUp:
        return cls(Step.CHARGE, payment_id)

    @classmethod
    def refund(cls, payment_id: uuid.UUID, reason: str) -> FollowUp:
        return cls(Step.REFUND, payment_id, reason)


class Dispatcher(Protocol):
    """Hands follow-ups to the workers (Dramatiq in the processes, see workers.payments)."""

    def dispatch(self, follow_up: FollowUp) -> None: ...


class BrokerDispatcher:
    """Sends each follow-up to its Dramatiq actor by name, through `broker`."""

    def __init__(self, broker: dramatiq.Broker) -> None:
        self.broker = broker

    def dispatch(self, follow_up: FollowUp) -> None:
        """Enqueue one follow-up (call it only after the deciding transaction committed)."""
        args: tuple[str, ...] = (str(follow_up.payment_id),)
        if follow_up.step is Step.REFUND:
            args += (follow_up.reason or "",)
        message: dramatiq.Message[None] = dramatiq.Message(
            queue_name=QUEUE,
            actor_name=ACTORS[follow_up.step.value],
            args=args,
            kwargs={},
            options={},
        )
        self.broker.enqueue(message)


def dispatch_all(dispatcher: Dispatcher, follow_ups: Iterable[FollowUp]) -> None:
    """Send each follow-up; one that cannot be sent is left to the reconciler, never raised."""
    for follow_up in follow_ups:
        try:
            dispatcher.dispatch(follow_up)
        except Exception:  # the broker being down must not undo a committed step
            log.exception(
                "follow-up not sent; the reconciler will pick it up",
                extra={"step": follow_up.step.value, "paymentId": str(follow_up.payment_id)},
            )


def dispatch_after_commit(
    session: Session, dispatcher: Dispatcher, follow_ups: list[FollowUp]
) -> None:
    """Send the follow-ups once the session's transaction commits (and never if it rolls back)."""
    if not follow_ups:
        return

    def send(_: Session) -> None:
        dispatch_all(dispatcher, follow_ups)

    event.listen(session, "after_commit", send, once=True)
