"""The unit of work: one transaction per event (or per batch), claimed by id, all or nothing."""

from __future__ import annotations

import uuid

import pytest

from common.events.catalogue import EXPIRATION_COMPLETED
from common.events.envelope import Envelope, new_event
from tests.integration.workers import backbone as schema
from tests.integration.workers.support import Backbone
from workers.consumers import Outcome, handle_message, was_processed
from workers.unit_of_work import handle_batch


def _handle(backbone: Backbone, event: Envelope) -> Outcome:
    return handle_message(backbone.db, schema.TABLES, schema.HANDLERS, event)


def test_an_event_is_applied_once_and_its_duplicate_is_ignored(backbone: Backbone) -> None:
    event = schema.ticket_event(uuid.uuid4(), 1, "Concert")
    assert _handle(backbone, event) is Outcome.APPLIED
    assert _handle(backbone, event) is Outcome.IGNORED
    assert backbone.applications() == 1
    assert was_processed(backbone.db, schema.TABLES, event)


def test_an_event_ahead_of_its_predecessor_is_rolled_back_for_later(backbone: Backbone) -> None:
    ticket_id = uuid.uuid4()
    ahead = schema.ticket_event(ticket_id, 2, "v2")
    assert _handle(backbone, ahead) is Outcome.RETRY_LATER
    assert not was_processed(backbone.db, schema.TABLES, ahead)
    assert _handle(backbone, schema.ticket_event(ticket_id, 1, "v1")) is Outcome.APPLIED
    assert _handle(backbone, ahead) is Outcome.APPLIED
    [row] = backbone.rows(schema.replica)
    assert (row.version, row.title) == (2, "v2")


def test_a_failing_handler_leaves_the_event_unprocessed(backbone: Backbone) -> None:
    with backbone.db.transaction() as session:
        session.execute(schema.faults.insert().values(title="Poison"))
    event = schema.ticket_event(uuid.uuid4(), 1, "Poison")
    with pytest.raises(RuntimeError, match="poisoned"):
        _handle(backbone, event)
    assert not was_processed(backbone.db, schema.TABLES, event)
    assert backbone.count(schema.replica) == 0


def test_a_stale_event_is_ignored_but_recorded(backbone: Backbone) -> None:
    ticket_id = uuid.uuid4()
    for version in (1, 2):
        _handle(backbone, schema.ticket_event(ticket_id, version, f"v{version}"))
    stale = schema.ticket_event(ticket_id, 1, "old news")
    assert _handle(backbone, stale) is Outcome.IGNORED
    assert was_processed(backbone.db, schema.TABLES, stale)
    assert backbone.rows(schema.replica)[0].title == "v2"


def test_an_event_type_without_a_handler_is_ignored(backbone: Backbone) -> None:
    event = new_event(EXPIRATION_COMPLETED, {"orderId": str(uuid.uuid4())})
    assert _handle(backbone, event) is Outcome.IGNORED
    assert not was_processed(backbone.db, schema.TABLES, event)


def _batch(backbone: Backbone, events: list[Envelope]) -> list[Outcome] | None:
    return handle_batch(backbone.db, schema.TABLES, schema.HANDLERS, events)


def _processed_at(backbone: Backbone) -> set[object]:
    return {row.processed_at for row in backbone.rows(schema.TABLES.processed)}


def test_a_batch_applies_its_events_in_order_in_one_transaction(backbone: Backbone) -> None:
    ticket_id, other = uuid.uuid4(), uuid.uuid4()
    events = [
        schema.ticket_event(ticket_id, 1, "v1"),
        schema.ticket_event(other, 1, "other"),
        schema.ticket_event(ticket_id, 2, "v2"),  # on top of v1, earlier in the same batch
        new_event(EXPIRATION_COMPLETED, {"orderId": str(uuid.uuid4())}),  # no handler
    ]
    outcomes = _batch(backbone, events)
    assert outcomes == [Outcome.APPLIED, Outcome.APPLIED, Outcome.APPLIED, Outcome.IGNORED]
    titles = {row.id: (row.version, row.title) for row in backbone.rows(schema.replica)}
    assert titles == {ticket_id: (2, "v2"), other: (1, "other")}
    assert len(_processed_at(backbone)) == 1  # now() of one transaction for all three claims
    assert not was_processed(backbone.db, schema.TABLES, events[3])


def test_a_batch_ignores_processed_events_and_duplicates_within_it(backbone: Backbone) -> None:
    seen, fresh = (schema.ticket_event(uuid.uuid4(), 1, title) for title in ("seen", "fresh"))
    assert _handle(backbone, seen) is Outcome.APPLIED
    outcomes = _batch(backbone, [seen, fresh, fresh])
    assert outcomes == [Outcome.IGNORED, Outcome.APPLIED, Outcome.APPLIED]
    assert backbone.applications() == 2  # each event counted once, duplicates included


def test_a_batch_with_an_event_ahead_is_rolled_back_whole(backbone: Backbone) -> None:
    ticket_id = uuid.uuid4()
    first = schema.ticket_event(uuid.uuid4(), 1, "ok")
    ahead = schema.ticket_event(ticket_id, 2, "v2")
    assert _batch(backbone, [first, ahead]) is None
    assert backbone.count(schema.replica) == 0
    assert not was_processed(backbone.db, schema.TABLES, first)
    assert _handle(backbone, first) is Outcome.APPLIED  # the one-by-one path settles each


def test_a_failing_handler_rolls_the_whole_batch_back(backbone: Backbone) -> None:
    with backbone.db.transaction() as session:
        session.execute(schema.faults.insert().values(title="Poison"))
    good, poison = (schema.ticket_event(uuid.uuid4(), 1, title) for title in ("Good", "Poison"))
    with pytest.raises(RuntimeError, match="poisoned"):
        _batch(backbone, [good, poison])
    assert backbone.count(schema.replica) == 0
    assert not was_processed(backbone.db, schema.TABLES, good)
