"""The purchase saga table, on its own (no I/O): every step fits the state machine."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest

from api.orders import saga
from api.orders.saga import Step, StepOutcome
from api.orders.state import OrderStatus, can_transition, sources
from common.events.catalogue import EVENT_TYPES, TICKET_CREATED, TICKET_UPDATED
from workers.orders.handlers import HANDLERS

ALL_STEPS = (*saga.PIPELINE, *saga.EXITS, *saga.REPORTS)
FACTS = saga.facts_of(
    {
        "amountCents": 2500,
        "currency": "usd",
        "reason": "Your card was declined.",
        "expiresAt": "2026-11-24 20:15:00 UTC",
        "price": "25.00 USD",
    }
)


@pytest.mark.parametrize("step", ALL_STEPS, ids=lambda s: f"{s.name}<-{s.trigger}")
def test_every_step_applies_a_transition_the_state_machine_allows(step: Step) -> None:
    if step.target is None:
        return  # a report or a wait: it moves nothing
    if step is saga.RESERVE:
        assert sources(step.target) == set()  # the first status: an insert, not a move
        return
    assert sources(step.target), f"{step.name} moves to a status nothing may reach"


def test_the_pipeline_is_a_path_through_the_state_machine() -> None:
    statuses = [s.target for s in saga.PIPELINE if s.target is not None]
    assert statuses[0] is OrderStatus.CREATED
    assert statuses[-1] is OrderStatus.COMPLETE
    for current, target in itertools.pairwise(statuses):
        assert can_transition(current, target)


@pytest.mark.parametrize("step", saga.EXITS, ids=lambda s: s.trigger)
def test_every_exit_cancels_with_a_reason(step: Step) -> None:
    assert step.target is OrderStatus.CANCELLED
    assert step.reason in {"expired", "cancelled_by_buyer", "payment_declined", "price_changed"}


def test_the_steps_that_take_something_have_a_compensation() -> None:
    assert saga.RESERVE.compensation is saga.UNLOCK
    assert saga.CHARGE.compensation is saga.REFUND
    pipeline = {s.name for s in saga.PIPELINE}
    for compensation in saga.COMPENSATIONS:
        assert compensation.undoes in pipeline
        assert compensation.carried_out_by and compensation.text
    assert saga.REFUNDED.name == saga.REFUND.name
    assert saga.REFUNDED.outcome is StepOutcome.COMPENSATED
    assert saga.UNLOCK in saga.ON_CANCEL


def test_a_cancellation_by_any_exit_sets_the_unlock_going() -> None:
    assert all(step.cancels for step in saga.EXITS)
    assert not any(step.cancels for step in (*saga.PIPELINE, *saga.REPORTS))


@pytest.mark.parametrize("step", ALL_STEPS, ids=lambda s: f"{s.name}<-{s.trigger}")
def test_every_step_tells_its_timeline_entry_in_plain_words(step: Step) -> None:
    words = saga.render(step.text, FACTS)
    assert words and "{" not in words
    for late in step.late.values():
        assert "{" not in saga.render(late, FACTS)


def test_a_payment_after_cancellation_is_the_late_step_a_reader_sees() -> None:
    late = saga.render(saga.COMPLETE.late[OrderStatus.CANCELLED], FACTS)
    assert (
        late == "Payment of 25.00 USD arrived after the order was cancelled; it will be refunded."
    )


def test_the_orders_consumer_handles_exactly_the_saga_events_and_the_tickets_replica() -> None:
    assert set(saga.EVENT_STEPS) <= EVENT_TYPES
    assert set(HANDLERS) == set(saga.EVENT_STEPS) | {TICKET_CREATED, TICKET_UPDATED}
    assert {step.name for step in saga.EVENT_STEPS.values()} == {
        "charge",
        "complete",
        "expire",
        "refund",
    }


def test_the_sweep_expires_like_the_expiration_event_does() -> None:
    assert saga.SWEEP_EXPIRE.target is saga.EXPIRE.target is OrderStatus.CANCELLED
    assert saga.SWEEP_EXPIRE.reason == saga.EXPIRE.reason == "expired"
    assert saga.SWEEP_EXPIRE.name == saga.EXPIRE.name
    assert "(sweep)" in saga.SWEEP_EXPIRE.text


def test_times_in_the_timeline_words_are_utc() -> None:
    moment = datetime(2026, 11, 24, 20, 15, tzinfo=UTC)
    assert saga.moment(moment) == "2026-11-24 20:15:00 UTC"
