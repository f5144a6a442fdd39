"""The expiry sweep against the orders database: batches, races, and paid orders left alone."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from api.orders.models import OUTBOX
from common.clock import FrozenClock
from common.db import Database
from common.errors import ConfigurationError
from tests.integration.orders.conftest import order_ticket
from tests.integration.orders.saga_events import expired, paid
from workers.consumers import handle_message
from workers.orders.handlers import make_handlers
from workers.orders.sweep import SweepSettings, run_sweep, sweep_once

Auth = Callable[[uuid.UUID], dict[str, str]]
Events = Callable[[], list[dict[str, Any]]]


@pytest.fixture
def make_orders(
    client: FlaskClient, seed_ticket: Callable[..., uuid.UUID], auth: Auth
) -> Callable[[int], list[str]]:
    def make(count: int) -> list[str]:
        return [order_ticket(client, auth(uuid.uuid4()), seed_ticket())["id"] for _ in range(count)]

    return make


def statuses(db: Database) -> dict[str, str]:
    with db.transaction() as session:
        rows = session.execute(sa.text("SELECT id, status FROM orders")).all()
    return {str(row.id): row.status for row in rows}


def cancellations(outbox: Events) -> list[str]:
    return [e["data"]["id"] for e in outbox() if e["type"] == "orders.cancelled"]


def test_the_sweep_cancels_every_overdue_order_in_batches(
    make_orders: Callable[[int], list[str]], db: Database, clock: FrozenClock, outbox: Events
) -> None:
    made = make_orders(7)
    clock.advance(900)
    assert sweep_once(db, clock, batch_size=3) == 7
    assert set(statuses(db).values()) == {"cancelled"}
    assert sorted(cancellations(outbox)) == sorted(made)


def test_the_sweep_never_cancels_a_paid_order(
    make_orders: Callable[[int], list[str]], db: Database, clock: FrozenClock
) -> None:
    paid_id, unpaid_id = make_orders(2)
    handle_message(db, OUTBOX, make_handlers(clock), paid(paid_id))
    clock.advance(3600)
    assert sweep_once(db, clock, 100) == 1
    assert statuses(db) == {paid_id: "complete", unpaid_id: "cancelled"}


def test_the_sweep_leaves_orders_whose_time_is_not_up(
    make_orders: Callable[[int], list[str]], db: Database, clock: FrozenClock
) -> None:
    make_orders(3)
    clock.advance(899.999)
    assert sweep_once(db, clock, 100) == 0
    assert set(statuses(db).values()) == {"created"}


def test_two_sweeps_and_the_expiry_handler_racing_cancel_each_order_exactly_once(
    make_orders: Callable[[int], list[str]], db: Database, clock: FrozenClock, outbox: Events
) -> None:
    made = make_orders(40)
    clock.advance(901)
    handlers = make_handlers(clock)
    barrier = threading.Barrier(3)
    counts: list[int] = []
    errors: list[BaseException] = []

    def sweeper() -> None:
        try:
            barrier.wait(5)
            counts.append(sweep_once(db, clock, batch_size=5))
        except BaseException as exc:  # reported by the test thread
            errors.append(exc)

    def handler() -> None:
        try:
            barrier.wait(5)
            for order_id in made:
                handle_message(db, OUTBOX, handlers, expired(order_id))
        except BaseException as exc:  # reported by the test thread
            errors.append(exc)

    threads = [threading.Thread(target=t) for t in (sweeper, sweeper, handler)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert sorted(cancellations(outbox)) == sorted(made)
    with db.transaction() as session:
        per_order = session.execute(
            sa.text(
                "SELECT order_id, count(*) AS n FROM order_steps "
                "WHERE step = 'expire' GROUP BY order_id"
            )
        ).all()
    assert {row.n for row in per_order} == {1}
    assert len(per_order) == 40


def test_the_sweep_process_loop_stops_when_told(db: Database, clock: FrozenClock) -> None:
    stop = threading.Event()
    thread = threading.Thread(
        target=run_sweep, args=(db, clock, SweepSettings(0.05, 10, 0.05), stop)
    )
    thread.start()
    stop.set()
    thread.join(5)
    assert not thread.is_alive()


def test_the_sweep_interval_and_batch_come_from_the_environment() -> None:
    assert SweepSettings.from_env({}) == SweepSettings(2.0, 500, 0.25)
    settings = SweepSettings.from_env(
        {
            "EXPIRATION_SWEEP_SECONDS": "5",
            "EXPIRATION_SWEEP_BATCH": "50",
            "EXPIRATION_SWEEP_BUSY_SECONDS": "0.5",
        }
    )
    assert settings == SweepSettings(5.0, 50, 0.5)
    for bad in ("0", "-1", "soon"):
        with pytest.raises(ConfigurationError):
            SweepSettings.from_env({"EXPIRATION_SWEEP_SECONDS": bad})
    with pytest.raises(ConfigurationError):
        SweepSettings.from_env({"EXPIRATION_SWEEP_BATCH": "0"})


def test_the_sweep_comes_back_sooner_while_it_finds_overdue_orders() -> None:
    settings = SweepSettings(interval_seconds=2.0, busy_interval_seconds=0.25)
    assert settings.pause_after(0) == 2.0
    assert settings.pause_after(1) == 0.25
    assert SweepSettings(interval_seconds=0.1).pause_after(3) == 0.1
