"""The service sends follow-ups by actor name: the names and queue are the workers' actors'."""

from __future__ import annotations

from api.payments.followups import ACTORS, QUEUE
from workers.broker import broker
from workers.payments import actors


def test_each_follow_up_names_an_actor_of_the_payments_queue() -> None:
    assert {step: broker.get_actor(name).fn for step, name in ACTORS.items()} == {
        "charge": actors.charge_payment.fn,
        "refund": actors.refund_payment.fn,
    }
    assert {broker.get_actor(name).queue_name for name in ACTORS.values()} == {QUEUE}
